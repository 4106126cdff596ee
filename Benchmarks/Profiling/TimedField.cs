using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>
/// A vector field that runs another and charges each call (value, VJP, JVP, second-order terms) to the sweep running
/// in a <see cref="SweepProfile"/>. What a sweep spends outside its field calls is the stepper's own arithmetic (stage
/// combinations, accumulations), copies and allocation. Its linearization wraps the inner field's, so an adjoint's
/// per-stage products are charged too.
/// </summary>
internal sealed class TimedField(IVectorField<Tensor> inner, SweepProfile profile) : IVectorField<Tensor>
{
    public IEngine<Tensor> Engine => inner.Engine;
    public LayerGrid Grid => inner.Grid;
    public int Dim => inner.Dim;
    public long[] StateShape => inner.StateShape;
    public IReadOnlyList<ControlParameter<Tensor>> Controls => inner.Controls;

    public Tensor Evaluate(int layer, double t, Tensor x) => profile.Part("field value g", () => inner.Evaluate(layer, t, x));

    public FieldLinearization<Tensor> Linearize(int layer, double t, Tensor x) =>
        new Timed(profile.Part("field linearization", () => inner.Linearize(layer, t, x)), profile);

    public IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values) => new TimedField(inner.WithControls(values), profile);

    private sealed class Timed(FieldLinearization<Tensor> inner, SweepProfile profile)
        : FieldLinearization<Tensor>(inner.Engine, inner.Layer, inner.Time, inner.State)
    {
        protected override void Forget() => inner.At(Layer, Time, State);

        public override Tensor Value() => profile.Part("field value g", inner.Value);

        public override Tensor Jvp(Tensor s) => profile.Part("field JVP gₓs", () => inner.Jvp(s));

        public override Tensor ControlJvp(IReadOnlyList<Tensor> eta) => profile.Part("field control JVP", () => inner.ControlJvp(eta));

        public override Tensor Vjp(Tensor p, FieldCotangent<Tensor>? controls) => profile.Part("field VJP (gₓᵀp, g_uᵀp)", () => inner.Vjp(p, controls));

        public override Tensor SecondOrderVjp(Tensor p, Tensor s, FieldCotangent<Tensor>? controls) =>
            profile.Part("field second-order VJP", () => inner.SecondOrderVjp(p, s, controls));

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first, FieldCotangent<Tensor> second) =>
            profile.Part("field second-order reverse stage", () => inner.SecondOrderReverse(p, m, s, first, second));
    }
}
