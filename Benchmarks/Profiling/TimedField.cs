using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>
/// A vector field that runs another and charges each call (value, VJP, JVP, second-order terms) to the sweep running
/// in a <see cref="SweepProfile"/>. What a sweep spends outside its field calls is the stepper's own arithmetic (stage
/// combinations, accumulations), copies and allocation. Its linearization wraps the inner field's, so an adjoint's
/// per-stage products are charged too, each variant to its own part: the variants make different convolutions.
/// </summary>
internal sealed class TimedField(IVectorField<Tensor> inner, SweepProfile profile) : ForwardingField<Tensor>(inner)
{
    public const string Value = "field value g";
    public const string Jvp = "field JVP gₓs";
    public const string PairedJvp = "field JVP gₓs with ∂ₓ(g_uᵀp)·s";
    public const string ControlJvp = "field control JVP";
    public const string StateVjp = "field VJP gₓᵀp";
    public const string Vjp = "field VJP (gₓᵀp, g_uᵀp)";
    public const string SecondOrderVjp = "field second-order VJP";
    public const string Stage = "field second-order reverse stage";
    public const string KeptStage = "field second-order reverse stage, W ∗ᵀ p kept";
    public const string PairedStage = "field second-order reverse stage, W ∗ᵀ p kept, paired terms formed";

    public override Tensor Evaluate(int layer, double t, Tensor x) => profile.Part(Value, () => base.Evaluate(layer, t, x));

    public override IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values) => new TimedField(Inner.WithControls(values), profile);

    protected override FieldLinearization<Tensor> Wrap(FieldLinearization<Tensor> point) => new Timed(point, profile);

    private sealed class Timed(FieldLinearization<Tensor> inner, SweepProfile profile) : ForwardingLinearization<Tensor>(inner)
    {
        public override Tensor Value() => profile.Part(TimedField.Value, base.Value);

        public override Tensor Jvp(Tensor s) => profile.Part(TimedField.Jvp, () => base.Jvp(s));

        public override Tensor ControlJvp(IReadOnlyList<Tensor> eta) => profile.Part(TimedField.ControlJvp, () => base.ControlJvp(eta));

        public override Tensor Vjp(Tensor p, FieldCotangent<Tensor>? controls) =>
            profile.Part(controls is null ? TimedField.StateVjp : TimedField.Vjp, () => base.Vjp(p, controls));

        public override Tensor SecondOrderVjp(Tensor p, Tensor s, FieldCotangent<Tensor>? controls) =>
            profile.Part(TimedField.SecondOrderVjp, () => base.SecondOrderVjp(p, s, controls));

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor>? first, FieldCotangent<Tensor> second) =>
            profile.Part(Stage, () => base.SecondOrderReverse(p, m, s, first, second));

        public override Tensor StateVjp(Tensor p, out Tensor product)
        {
            Tensor shared = null!;
            var x = profile.Part(TimedField.StateVjp, () => base.StateVjp(p, out shared));
            product = shared;
            return x;
        }

        public override Tensor StateVjp(Tensor p, out Tensor product, FieldCotangent<Tensor> controls)
        {
            Tensor shared = null!;
            var x = profile.Part(TimedField.Vjp, () => base.StateVjp(p, out shared, controls));
            product = shared;
            return x;
        }

        public override Tensor Jvp(Tensor s, Tensor p, FieldCotangent<Tensor> controls) => profile.Part(PairedJvp, () => base.Jvp(s, p, controls));

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first, FieldCotangent<Tensor> second,
            Tensor product) =>
            profile.Part(KeptStage, () => base.SecondOrderReverse(p, m, s, first, second, product));

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first, FieldCotangent<Tensor> second,
            Tensor product, PairedControlTerms formed) =>
            profile.Part(formed == (PairedControlTerms.Cotangent | PairedControlTerms.Tangent) ? PairedStage : KeptStage,
                () => base.SecondOrderReverse(p, m, s, first, second, product, formed));
    }
}
