using RobustNode.Core.Engines;

namespace RobustNode.Core.Fields;

/// <summary>
/// A vector field that computes exactly as another and lets a subclass observe its calls (counting, timing): every
/// member forwards to the inner field, and each linearization is the inner one's passed through <see cref="Wrap"/>.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
internal abstract class ForwardingField<T>(IVectorField<T> inner) : IVectorField<T>
{
    /// <summary>The field computed with.</summary>
    protected IVectorField<T> Inner { get; } = inner;

    public IEngine<T> Engine => Inner.Engine;
    public LayerGrid Grid => Inner.Grid;
    public int Dim => Inner.Dim;
    public long[] StateShape => Inner.StateShape;
    public IReadOnlyList<ControlParameter<T>> Controls => Inner.Controls;

    public virtual T Evaluate(int layer, double t, T x) => Inner.Evaluate(layer, t, x);

    public FieldLinearization<T> Linearize(int layer, double t, T x) => Wrap(Inner.Linearize(layer, t, x));

    /// <summary>The same observer around the inner field with other controls.</summary>
    public abstract IVectorField<T> WithControls(IReadOnlyList<T> values);

    /// <summary>The linearization handed to sweeps: the inner field's as it is, unless a subclass observes it too.</summary>
    protected virtual FieldLinearization<T> Wrap(FieldLinearization<T> point) => point;
}
