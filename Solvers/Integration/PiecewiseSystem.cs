namespace RobustNode.Solvers.Integration;

/// <summary>
/// An ODE y' = f_i(t, y) whose right-hand side changes at breakpoints (the layers of piecewise-constant
/// controls): piece i covers [Breakpoints[i], Breakpoints[i+1]]. Breakpoints decrease for a backward
/// solve. No step crosses a breakpoint.
/// </summary>
internal sealed record PiecewiseSystem<T>(IReadOnlyList<double> Breakpoints, Func<int, double, T, T> Rhs)
{
    /// <summary>A single interval [t0, t1].</summary>
    public static PiecewiseSystem<T> Single(double t0, double t1, Func<double, T, T> f) =>
        new([t0, t1], (_, t, y) => f(t, y));

    /// <summary>Number of pieces.</summary>
    public int Pieces => Breakpoints.Count - 1;
}
