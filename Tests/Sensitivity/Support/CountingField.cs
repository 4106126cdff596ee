using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>A field that behaves exactly like the one it wraps and counts how often it is evaluated (its value, by any route).</summary>
public sealed class CountingField(IVectorField<Tensor> inner) : IVectorField<Tensor>
{
    /// <summary>Evaluations of g so far: <see cref="Evaluate"/> calls and values asked of its linearizations.</summary>
    public int Evaluations { get; private set; }

    public IEngine<Tensor> Engine => inner.Engine;
    public LayerGrid Grid => inner.Grid;
    public int Dim => inner.Dim;
    public long[] StateShape => inner.StateShape;
    public IReadOnlyList<ControlParameter<Tensor>> Controls => inner.Controls;
    public Tensor Evaluate(int layer, double t, Tensor x) { Evaluations++; return inner.Evaluate(layer, t, x); }
    public IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values) => new CountingField(inner.WithControls(values));
    public FieldLinearization<Tensor> Linearize(int layer, double t, Tensor x) => new Point(this, inner.Linearize(layer, t, x));

    private sealed class Point(CountingField field, FieldLinearization<Tensor> point) : FieldLinearization<Tensor>(point.Engine, point.Layer, point.Time, point.State)
    {
        protected override void Forget() => point.At(Layer, Time, State);
        public override Tensor Value() { field.Evaluations++; return point.Value(); }
        public override Tensor Jvp(Tensor s) => point.Jvp(s);
        public override Tensor ControlJvp(IReadOnlyList<Tensor> eta) => point.ControlJvp(eta);
        public override Tensor Vjp(Tensor p, FieldCotangent<Tensor>? controls) => point.Vjp(p, controls);
        public override Tensor SecondOrderVjp(Tensor p, Tensor s, FieldCotangent<Tensor>? controls) => point.SecondOrderVjp(p, s, controls);
        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first, FieldCotangent<Tensor> second) =>
            point.SecondOrderReverse(p, m, s, first, second);
    }
}
