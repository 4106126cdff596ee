using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>
/// A field that behaves exactly like the one it wraps and counts how often it is evaluated (its value, by any route);
/// with <paramref name="savesIntermediates"/> false it hides the inner field's saved intermediates, as a field that has
/// none, so that later sweeps recompute what they need.
/// </summary>
internal sealed class CountingField(IVectorField<Tensor> inner, bool savesIntermediates = true) : ForwardingField<Tensor>(inner)
{
    /// <summary>Evaluations of g so far: <see cref="Evaluate"/> calls and values asked of its linearizations.</summary>
    public int Evaluations { get; private set; }

    /// <summary>Whether its linearizations hand out the inner field's saved intermediates.</summary>
    public bool SavesIntermediates => savesIntermediates;

    public override Tensor Evaluate(int layer, double t, Tensor x)
    {
        Evaluations++;
        return base.Evaluate(layer, t, x);
    }

    public override IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values) => new CountingField(Inner.WithControls(values), savesIntermediates);

    protected override FieldLinearization<Tensor> Wrap(FieldLinearization<Tensor> point) => new Point(this, point);

    private sealed class Point(CountingField owner, FieldLinearization<Tensor> point) : ForwardingLinearization<Tensor>(point)
    {
        public override Tensor Value()
        {
            owner.Evaluations++;
            return base.Value();
        }

        public override int SavedCount => owner.SavesIntermediates ? base.SavedCount : 0;

        public override void Save(Span<Tensor> values)
        {
            if (owner.SavesIntermediates) base.Save(values);
        }
    }
}
