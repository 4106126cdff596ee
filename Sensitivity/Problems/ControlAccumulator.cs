using RobustNode.Core.Engines;
using RobustNode.Core.Fields;

namespace RobustNode.Sensitivity.Problems;

/// <summary>
/// Control gradients shaped like the controls (per-layer slices or a shared value), accumulated layer by layer: a sweep
/// points a <see cref="FieldCotangent{T}"/> at the current layer's rows (<see cref="Bind"/>) and the field adds to them in
/// place, or adds a layer's finished cotangents (<see cref="Add"/>).
/// </summary>
internal sealed class ControlAccumulator<T>
{
    private readonly IEngine<T> _engine;
    private readonly IReadOnlyList<ControlParameter<T>> _controls;

    public T[] Gradients { get; }

    public ControlAccumulator(IEngine<T> engine, IReadOnlyList<ControlParameter<T>> controls)
    {
        (_engine, _controls) = (engine, controls);
        Gradients = new T[controls.Count];
        for (int j = 0; j < Gradients.Length; j++) Gradients[j] = engine.ZerosLike(controls[j].Value);
    }

    /// <summary>Points the buffers of <paramref name="cotangent"/> at layer k's rows of the gradients (views in the current scope).</summary>
    public void Bind(FieldCotangent<T> cotangent, int layer)
    {
        for (int j = 0; j < Gradients.Length; j++)
            cotangent[j] = _controls[j].PerLayer ? _engine.Select(Gradients[j], layer) : Gradients[j];
    }

    /// <summary>Adds a layer's cotangents (one per control, shaped like its slice).</summary>
    public void Add(int layer, IReadOnlyList<T> cotangents)
    {
        // The layer's slice is a view: its handle is freed here, not left in the caller's scope once per layer.
        using var scope = _engine.OpenScope();
        for (int j = 0; j < _controls.Count; j++)
            _engine.AddInPlace(_controls[j].PerLayer ? _engine.Select(Gradients[j], layer) : Gradients[j], cotangents[j]);
    }
}
