using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>
/// A field that behaves exactly like the one it wraps and, every time an adjoint asks it for something, records how
/// many tensors are alive on this thread (TorchSharp's own count, <see cref="DisposeScopeManager.Statistics"/>):
/// the high-water mark of tensors a sensitivity computation holds at once.
/// </summary>
public sealed class LiveTensorProbe(IVectorField<Tensor> inner) : IVectorField<Tensor>
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

    public IEngine<Tensor> Engine => inner.Engine;
    public LayerGrid Grid => inner.Grid;
    public int Dim => inner.Dim;
    public long[] StateShape => inner.StateShape;
    public IReadOnlyList<ControlParameter<Tensor>> Controls => inner.Controls;
    public Tensor Evaluate(int layer, double t, Tensor x) { Sample(); return inner.Evaluate(layer, t, x); }
    public IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values) => new LiveTensorProbe(inner.WithControls(values));
    public FieldLinearization<Tensor> Linearize(int layer, double t, Tensor x) { Sample(); return new Point(this, inner.Linearize(layer, t, x)); }

    /// <summary>The wrapped field's linearization, sampling before every product.</summary>
    private sealed class Point(LiveTensorProbe probe, FieldLinearization<Tensor> point) : FieldLinearization<Tensor>(point.Engine, point.Layer, point.Time, point.State)
    {
        protected override void Forget() { probe.Sample(); point.At(Layer, Time, State); }
        public override Tensor Value() { probe.Sample(); return point.Value(); }
        public override Tensor Jvp(Tensor s) { probe.Sample(); return point.Jvp(s); }
        public override Tensor ControlJvp(IReadOnlyList<Tensor> eta) { probe.Sample(); return point.ControlJvp(eta); }
        public override Tensor Vjp(Tensor p, FieldCotangent<Tensor>? controls) { probe.Sample(); return point.Vjp(p, controls); }
        public override Tensor SecondOrderVjp(Tensor p, Tensor s, FieldCotangent<Tensor>? controls) { probe.Sample(); return point.SecondOrderVjp(p, s, controls); }
        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor>? first, FieldCotangent<Tensor> second)
        {
            probe.Sample();
            return point.SecondOrderReverse(p, m, s, first, second);
        }
    }
}
