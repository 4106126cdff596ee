using RobustNode.Core.Engines;

namespace RobustNode.Core.Losses;

/// <summary>
/// A loss at scores moved by a constant offset: ℓ′(z) = ℓ(z + m) with m [B, C] held fixed, so ∇ℓ′(z) = ∇ℓ(z + m) and
/// ∇²ℓ′(z)·s = ∇²ℓ(z + m)·s. With m_ij = ε K_{y_i j} on the wrong classes and a cross-entropy ℓ it is the
/// Lipschitz-margin loss (Tsuzuku, Sato &amp; Sugiyama 2018): each wrong logit raised by what a perturbation of size ε
/// could add to it.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
/// <param name="Inner">The loss ℓ.</param>
/// <param name="Offset">m, shaped like the scores [B, C].</param>
public sealed record OffsetLoss<T>(ILoss<T> Inner, T Offset) : ILoss<T>
{
    /// <inheritdoc/>
    public IEngine<T> Engine => Inner.Engine;
    /// <inheritdoc/>
    public string Name => $"{Inner.Name} (offset)";
    /// <inheritdoc/>
    public long Count => Inner.Count;

    /// <inheritdoc/>
    public T PerSample(T x)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Inner.PerSample(Engine.Add(x, Offset)));
    }

    /// <inheritdoc/>
    public T Gradient(T x)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Inner.Gradient(Engine.Add(x, Offset)));
    }

    /// <inheritdoc/>
    public T HessianVectorProduct(T x, T s)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Inner.HessianVectorProduct(Engine.Add(x, Offset), s));
    }

    /// <inheritdoc/>
    public ILoss<T> Select(ReadOnlySpan<long> rows) => new OffsetLoss<T>(Inner.Select(rows), Engine.GatherRows(Offset, rows));
}
