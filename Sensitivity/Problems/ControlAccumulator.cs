using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Problems;

/// <summary>Sums layer-wise control cotangents into gradients shaped like the controls (per-layer slices or a shared tensor).</summary>
internal sealed class ControlAccumulator
{
    private readonly IReadOnlyList<ControlParameter> _controls;
    public Tensor[] Gradients { get; }

    public ControlAccumulator(IReadOnlyList<ControlParameter> controls)
    {
        _controls = controls;
        Gradients = controls.Select(c => zeros_like(c.Value)).ToArray();
    }

    public void Add(int layer, IReadOnlyList<Tensor> cotangents, double scale = 1.0)
    {
        // The layer's slice is a view: its handle is freed here, not left in the caller's scope once per layer.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int j = 0; j < _controls.Count; j++)
        {
            var target = _controls[j].PerLayer ? Gradients[j][layer] : Gradients[j];
            target.add_(cotangents[j], scale);
        }
    }

    /// <summary>Multiplies every gradient by a factor (e.g. 1/B for a mean loss).</summary>
    public Tensor[] Scaled(double factor) => Gradients.Select(g => g.mul(factor)).ToArray();
}
