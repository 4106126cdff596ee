using RobustNode.Core.Engines;

namespace RobustNode.Solvers.Dense;

/// <summary>The continuous solution of a solve: its accepted steps with their interpolants, in integration order.</summary>
public sealed class DenseSolution<T>(IStateAlgebra<T> algebra, IReadOnlyList<DenseSegment<T>> segments)
{
    /// <summary>The accepted steps.</summary>
    public IReadOnlyList<DenseSegment<T>> Segments { get; } = segments;

    /// <summary>The state at any t in the span (binary search for the step, then its interpolant).</summary>
    public T Evaluate(double t) => Find(t).Evaluate(algebra, t);

    /// <summary>The state at t inside the given layer (piece): at a layer boundary the piece decides the side.</summary>
    public T Evaluate(double t, int piece)
    {
        int lo = 0, hi = Segments.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            var s = Segments[mid];
            if (s.Piece < piece || (s.Piece == piece && Beyond(t, s))) lo = mid + 1; else hi = mid;
        }
        return Segments[lo].Evaluate(algebra, t);
    }

    private static bool Beyond(double t, DenseSegment<T> s) => s.H > 0 ? t > s.T1 : t < s.T1;

    private DenseSegment<T> Find(double t)
    {
        int lo = 0, hi = Segments.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (Beyond(t, Segments[mid])) lo = mid + 1; else hi = mid;
        }
        return Segments[lo];
    }
}
