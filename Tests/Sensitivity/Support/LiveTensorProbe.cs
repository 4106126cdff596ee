using RobustNode.Core.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>
/// A field that behaves exactly like the one it wraps and, every time an adjoint asks it for something, records how
/// many tensors are alive on this thread (TorchSharp's own count, <see cref="DisposeScopeManager.Statistics"/>):
/// the high-water mark of tensors a sensitivity computation holds at once.
/// </summary>
public sealed class LiveTensorProbe(IVectorField inner) : IVectorField
{
    private long _baseline;

    /// <summary>Most tensors alive at once since <see cref="Reset"/>, beyond those alive at the reset.</summary>
    public long Peak { get; private set; }

    public void Reset()
    {
        _baseline = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Peak = 0;
    }

    private void Sample() => Peak = Math.Max(Peak, DisposeScopeManager.Statistics.ThreadTotalLiveCount - _baseline);

    public LayerGrid Grid => inner.Grid;
    public int Dim => inner.Dim;
    public IReadOnlyList<ControlParameter> Controls => inner.Controls;
    public Tensor Evaluate(int layer, double t, Tensor x) { Sample(); return inner.Evaluate(layer, t, x); }
    public FieldCotangent Vjp(int layer, double t, Tensor x, Tensor p) { Sample(); return inner.Vjp(layer, t, x, p); }
    public Tensor Jvp(int layer, double t, Tensor x, Tensor s) { Sample(); return inner.Jvp(layer, t, x, s); }
    public Tensor ControlJvp(int layer, double t, Tensor x, IReadOnlyList<Tensor> eta) { Sample(); return inner.ControlJvp(layer, t, x, eta); }
    public FieldCotangent SecondOrderVjp(int layer, double t, Tensor x, Tensor p, Tensor s) { Sample(); return inner.SecondOrderVjp(layer, t, x, p, s); }
    public IVectorField WithControls(IReadOnlyList<Tensor> values) => new LiveTensorProbe(inner.WithControls(values));
    public FieldLinearization Linearize(int layer, double t, Tensor x) { Sample(); return inner.Linearize(layer, t, x); }
}
