namespace RobustNode.Core.Fields;

/// <summary>
/// The time grid of piecewise-constant controls: N layers on [0, T], layer k on [t_k, t_{k+1}),
/// t_k = kT/N. Layer boundaries are step boundaries for every solver.
/// </summary>
public sealed record LayerGrid(int Layers, double FinalTime)
{
    /// <summary>Start time of layer k (k = N gives T).</summary>
    public double Boundary(int k) => k == Layers ? FinalTime : k * FinalTime / Layers;

    /// <summary>Width T/N of one layer.</summary>
    public double LayerWidth => FinalTime / Layers;

    /// <summary>The layer whose interval holds t (the last layer holds T).</summary>
    public int LayerAt(double t) => Math.Clamp((int)Math.Floor(t / FinalTime * Layers), 0, Layers - 1);
}
