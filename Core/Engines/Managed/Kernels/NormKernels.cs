using System.Numerics;
using System.Numerics.Tensors;

namespace RobustNode.Core.Engines.Managed.Kernels;

/// <summary>
/// Per-sample norms of the attack ball, their gradients, and the projections onto the ball, row by row over samples
/// flattened to rows of n numbers. The kinks follow PyTorch's subgradients as <see cref="Norms.AttackNorm"/> computes
/// them: sign(0) = 0, a zero row has gradient 0, ties of the max-norm go to the first largest magnitude.
/// </summary>
internal static class NormKernels<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    /// <summary>‖g‖₁, ‖g‖₂ or ‖g‖_∞ of one row (dual exponent 1, 2 or ∞); NaN propagates.</summary>
    public static TScalar Norm(ReadOnlySpan<TScalar> g, double dualQ) => dualQ switch
    {
        1 => SumOfMagnitudes(g),
        2 => TScalar.Sqrt(SumOfSquares(g)),
        _ => g.IsEmpty ? TScalar.Zero : TScalar.Abs(TensorPrimitives.MaxMagnitude(g)),
    };

    // Rows of a few numbers are summed in order: a library call costs more than the sum.
    private const int Short = 16;

    private static TScalar SumOfMagnitudes(ReadOnlySpan<TScalar> g)
    {
        if (g.Length >= Short) return TensorPrimitives.SumOfMagnitudes(g);
        var s = TScalar.Zero;
        foreach (var v in g) s += TScalar.Abs(v);
        return s;
    }

    private static TScalar SumOfSquares(ReadOnlySpan<TScalar> g)
    {
        if (g.Length >= Short) return TensorPrimitives.SumOfSquares(g);
        var s = TScalar.Zero;
        foreach (var v in g) s += v * v;
        return s;
    }

    /// <summary>∇‖g‖_{q*} of one row: sign(g); g/‖g‖₂ (0 for g = 0); sign(g_j) e_j at the first arg-max j of |g|.</summary>
    public static void NormGradient(ReadOnlySpan<TScalar> g, double dualQ, Span<TScalar> destination)
    {
        switch (dualQ)
        {
            case 1:
                ElementwiseKernels<TScalar>.Sign(g, destination);
                break;
            case 2:
                // PyTorch's g / clamp_min(‖g‖, 1e-300): the same division, and 0 where the norm is 0 (in float32 the
                // bound 1e-300 rounds to 0 and TorchSharp divides 0 by 0).
                var norm = TScalar.Max(TScalar.Sqrt(SumOfSquares(g)), TScalar.CreateTruncating(1e-300));
                if (norm == TScalar.Zero) destination.Clear();
                else TensorPrimitives.Divide(g, norm, destination);
                break;
            default:
                destination.Clear();
                if (g.IsEmpty) break;
                int j = ClassificationKernels<TScalar>.ArgMaxMagnitude(g);
                var v = g[j];
                destination[j] = v > TScalar.Zero ? TScalar.One : v < TScalar.Zero ? -TScalar.One : TScalar.Zero;
                break;
        }
    }

    /// <summary>
    /// One row projected onto {‖δ‖_q ≤ r}: q = ∞ clamps; q = 2 scales by r / max(‖δ‖, r); q = 1 soft-thresholds by
    /// the θ of Duchi et al. (2008, "Efficient projections onto the ℓ₁-ball", Fig. 1) found by sorting |δ|, with the
    /// cumulative sums accumulated in double as libtorch's cumsum does. <paramref name="sorted"/> is scratch of the
    /// row's length.
    /// </summary>
    public static void Project(ReadOnlySpan<TScalar> delta, double q, double radius, Span<TScalar> destination, Span<TScalar> sorted)
    {
        var r = TScalar.CreateTruncating(radius);
        if (double.IsPositiveInfinity(q))
        {
            ElementwiseKernels<TScalar>.Clamp(delta, -r, r, destination);
            return;
        }
        if (q == 2)
        {
            var norm = TScalar.Sqrt(SumOfSquares(delta));
            TensorPrimitives.Multiply(delta, r / (norm < r ? r : norm), destination);
            return;
        }
        TensorPrimitives.Abs(delta, sorted);
        if (TensorPrimitives.Sum((ReadOnlySpan<TScalar>)sorted) <= r)
        {
            delta.CopyTo(destination);
            return;
        }
        sorted.Sort();
        sorted.Reverse();
        // ρ = the largest k (1-based) with sorted_k − (Σ_{i≤k} sorted_i − r)/k > 0; θ = (Σ_{i≤ρ} sorted_i − r)/ρ.
        double running = 0;
        var theta = TScalar.Zero;
        for (int k = 0; k < sorted.Length; k++)
        {
            running += double.CreateTruncating(sorted[k]);
            var t = (TScalar.CreateTruncating(running) - r) / TScalar.CreateTruncating(k + 1.0);
            // libtorch's argmax of cond·k picks index 0 when no condition holds.
            if (k == 0 || sorted[k] - t > TScalar.Zero) theta = t;
        }
        for (int j = 0; j < delta.Length; j++)
        {
            var v = delta[j];
            var shrunk = TScalar.Abs(v) - theta;
            var sign = v > TScalar.Zero ? TScalar.One : v < TScalar.Zero ? -TScalar.One : TScalar.Zero;
            destination[j] = sign * (shrunk > TScalar.Zero ? shrunk : TScalar.Zero);
        }
    }
}
