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
internal sealed class TimedField(IVectorField<Tensor> inner, SweepProfile profile) : ForwardingField<Tensor>(inner)
{
    public override Tensor Evaluate(int layer, double t, Tensor x) => profile.Part("field value g", () => base.Evaluate(layer, t, x));

    public override IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values) => new TimedField(Inner.WithControls(values), profile);

    protected override FieldLinearization<Tensor> Wrap(FieldLinearization<Tensor> point) => new Timed(point, profile);

    // The shared and paired variants (StateVjp handing out its product, Jvp with the paired control term, the
    // second-order stage given the product) are charged to the part of the product they stand for.
    private sealed class Timed(FieldLinearization<Tensor> inner, SweepProfile profile) : ForwardingLinearization<Tensor>(inner)
    {
        public override Tensor Value() => profile.Part("field value g", base.Value);

        public override Tensor Jvp(Tensor s) => profile.Part("field JVP gₓs", () => base.Jvp(s));

        public override Tensor ControlJvp(IReadOnlyList<Tensor> eta) => profile.Part("field control JVP", () => base.ControlJvp(eta));

        public override Tensor Vjp(Tensor p, FieldCotangent<Tensor>? controls) => profile.Part("field VJP (gₓᵀp, g_uᵀp)", () => base.Vjp(p, controls));

        public override Tensor SecondOrderVjp(Tensor p, Tensor s, FieldCotangent<Tensor>? controls) =>
            profile.Part("field second-order VJP", () => base.SecondOrderVjp(p, s, controls));

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first, FieldCotangent<Tensor> second) =>
            profile.Part("field second-order reverse stage", () => base.SecondOrderReverse(p, m, s, first, second));

        public override Tensor StateVjp(Tensor p, out Tensor product)
        {
            Tensor shared = null!;
            var x = profile.Part("field VJP (gₓᵀp, g_uᵀp)", () => base.StateVjp(p, out shared));
            product = shared;
            return x;
        }

        public override Tensor StateVjp(Tensor p, out Tensor product, FieldCotangent<Tensor> controls)
        {
            Tensor shared = null!;
            var x = profile.Part("field VJP (gₓᵀp, g_uᵀp)", () => base.StateVjp(p, out shared, controls));
            product = shared;
            return x;
        }

        public override Tensor Jvp(Tensor s, Tensor p, FieldCotangent<Tensor> controls) => profile.Part("field JVP gₓs", () => base.Jvp(s, p, controls));

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first, FieldCotangent<Tensor> second,
            Tensor product) =>
            profile.Part("field second-order reverse stage", () => base.SecondOrderReverse(p, m, s, first, second, product));

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first, FieldCotangent<Tensor> second,
            Tensor product, PairedControlTerms formed) =>
            profile.Part("field second-order reverse stage", () => base.SecondOrderReverse(p, m, s, first, second, product, formed));
    }
}
