namespace RobustNode.Core.Fields;

/// <summary>
/// The time grid of piecewise-constant controls: N layers on [0, T], layer k on [t_k, t_{k+1}),
/// t_k = kT/N. Layer boundaries are step boundaries for every solver.
/// </summary>
public sealed record LayerGrid(int Layers, double FinalTime)
{
    private double[]? _boundaries;

    // `with` copies N and T only: the cached boundaries belong to the original.
    private LayerGrid(LayerGrid original) => (Layers, FinalTime) = (original.Layers, original.FinalTime);

    /// <summary>Start time of layer k (k = N gives T).</summary>
    public double Boundary(int k) => k == Layers ? FinalTime : k * FinalTime / Layers;

    /// <summary>t_0 … t_N, computed once (the breakpoints of every solve over the grid).</summary>
    public IReadOnlyList<double> Boundaries => _boundaries ??= BoundaryArray();

    private double[] BoundaryArray()
    {
        var b = new double[Layers + 1];
        for (int k = 0; k <= Layers; k++) b[k] = Boundary(k);
        return b;
    }

    /// <summary>Width T/N of one layer.</summary>
    public double LayerWidth => FinalTime / Layers;

    /// <summary>The layer whose interval holds t (the last layer holds T).</summary>
    public int LayerAt(double t) => Math.Clamp((int)Math.Floor(t / FinalTime * Layers), 0, Layers - 1);

    /// <summary>Grids are equal when N and T are (the cached boundaries do not count).</summary>
    public bool Equals(LayerGrid? other) => other is not null && Layers == other.Layers && FinalTime.Equals(other.FinalTime);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Layers, FinalTime);
}
