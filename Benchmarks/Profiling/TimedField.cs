using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>
/// A vector field that runs another and charges each call (value, VJP, JVP, second-order terms) to the sweep running
/// in a <see cref="SweepProfile"/>. What a sweep spends outside its field calls is the stepper's own arithmetic (stage
/// combinations, accumulations), copies and allocation. The default <see cref="IVectorField.Linearize"/> is kept, so
/// an adjoint's per-stage products come back through these methods.
/// </summary>
internal sealed class TimedField(IVectorField inner, SweepProfile profile) : IVectorField
{
    public LayerGrid Grid => inner.Grid;
    public int Dim => inner.Dim;
    public long[] StateShape => inner.StateShape;
    public IReadOnlyList<ControlParameter> Controls => inner.Controls;

    public Tensor Evaluate(int layer, double t, Tensor x) => profile.Part("field value g", () => inner.Evaluate(layer, t, x));

    public FieldCotangent Vjp(int layer, double t, Tensor x, Tensor p) => profile.Part("field VJP (gₓᵀp, g_uᵀp)", () => inner.Vjp(layer, t, x, p));

    public Tensor Jvp(int layer, double t, Tensor x, Tensor s) => profile.Part("field JVP gₓs", () => inner.Jvp(layer, t, x, s));

    public Tensor ControlJvp(int layer, double t, Tensor x, IReadOnlyList<Tensor> eta) => profile.Part("field control JVP", () => inner.ControlJvp(layer, t, x, eta));

    public FieldCotangent SecondOrderVjp(int layer, double t, Tensor x, Tensor p, Tensor s) =>
        profile.Part("field second-order VJP", () => inner.SecondOrderVjp(layer, t, x, p, s));

    public (FieldCotangent First, FieldCotangent Second) SecondOrderReverse(int layer, double t, Tensor x, Tensor kbar, Tensor kbarDot, Tensor xDot) =>
        profile.Part("field second-order reverse stage", () => inner.SecondOrderReverse(layer, t, x, kbar, kbarDot, xDot));

    public IVectorField WithControls(IReadOnlyList<Tensor> values) => new TimedField(inner.WithControls(values), profile);
}
