namespace RobustNode.Core.Fields;

/// <summary>
/// A linearization that computes exactly as another — every product, the shared reverse product, the paired control
/// terms and the saved intermediates — so that a subclass observing some calls leaves the sweeps on the paths they take
/// for the inner field (an observer that forwarded only the abstract members would send them down the defaults).
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
internal class ForwardingLinearization<T>(FieldLinearization<T> inner)
    : FieldLinearization<T>(inner.Engine, inner.Layer, inner.Time, inner.State)
{
    /// <summary>The linearization computed with.</summary>
    protected FieldLinearization<T> Inner { get; } = inner;

    protected override void Forget() => Inner.At(Layer, Time, State);
    public override int SavedCount => Inner.SavedCount;
    public override bool RestoresWithoutState => Inner.RestoresWithoutState;
    public override void Save(Span<T> values) => Inner.Save(values);
    protected override void Restore(ReadOnlySpan<T> saved) => Inner.At(Layer, Time, State, saved);

    public override T Value() => Inner.Value();
    public override T Jvp(T s) => Inner.Jvp(s);
    public override T ControlJvp(IReadOnlyList<T> eta) => Inner.ControlJvp(eta);
    public override T Vjp(T p, FieldCotangent<T>? controls) => Inner.Vjp(p, controls);
    public override T SecondOrderVjp(T p, T s, FieldCotangent<T>? controls) => Inner.SecondOrderVjp(p, s, controls);

    public override bool SharesReverseProduct => Inner.SharesReverseProduct;
    public override bool PairsControlTerms => Inner.PairsControlTerms;
    public override T StateVjp(T p, out T product) => Inner.StateVjp(p, out product);
    public override T StateVjp(T p, out T product, FieldCotangent<T> controls) => Inner.StateVjp(p, out product, controls);
    public override T Jvp(T s, T p, FieldCotangent<T> controls) => Inner.Jvp(s, p, controls);

    public override (T First, T Second) SecondOrderReverse(T p, T m, T s, FieldCotangent<T>? first, FieldCotangent<T> second) =>
        Inner.SecondOrderReverse(p, m, s, first, second);

    public override (T First, T Second) SecondOrderReverse(T p, T m, T s, FieldCotangent<T> first, FieldCotangent<T> second, T product) =>
        Inner.SecondOrderReverse(p, m, s, first, second, product);

    public override (T First, T Second) SecondOrderReverse(T p, T m, T s, FieldCotangent<T> first, FieldCotangent<T> second, T product,
        PairedControlTerms formed) =>
        Inner.SecondOrderReverse(p, m, s, first, second, product, formed);
}
