using RobustNode.Core.Engines;

namespace RobustNode.Core.Fields;

/// <summary>A control parameter: the values of all layers (per-layer controls stack along the first dimension) or one shared value.</summary>
/// <param name="Name">Name used in output files, e.g. "weights".</param>
/// <param name="Value">The parameter; for per-layer controls its first dimension is the layer.</param>
/// <param name="PerLayer">True for piecewise-constant controls u_k, false for a time-invariant parameter.</param>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed record ControlParameter<T>(string Name, T Value, bool PerLayer)
{
    /// <summary>The slice u_k that acts on layer k (a view).</summary>
    public T Slice(IEngine<T> engine, int layer) => PerLayer ? engine.Select(Value, layer) : Value;
}
