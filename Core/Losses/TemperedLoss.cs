using RobustNode.Core.Engines;

namespace RobustNode.Core.Losses;

/// <summary>
/// A loss at scores multiplied by a temperature τ &gt; 0: ℓ′(z) = ℓ(τ z), so ∇ℓ′(z) = τ ∇ℓ(τ z) and
/// ∇²ℓ′(z)·s = τ² ∇²ℓ(τ z)·s. With a cross-entropy ℓ and scores of bounded scale (a Lipschitz network, a read-out of
/// rows of fixed norm), τ sets how hard the loss pushes: a large τ makes CE(τ z) a hinge on the margin, a small one
/// keeps pulling correctly classified samples further from the boundary.
/// </summary>
/// <remarks>
/// Béthune, Boissin, Serrurier, Mamalet, Friedrich &amp; González-Sanz, "Pay attention to your loss: understanding
/// misconceptions about 1-Lipschitz neural networks", NeurIPS 2022, §4: with a 1-Lipschitz network the cross-entropy
/// alone has no scale to trade accuracy against robustness; its temperature is that trade-off.
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
/// <param name="Inner">The loss ℓ.</param>
/// <param name="Temperature">τ, positive and finite.</param>
public sealed record TemperedLoss<T>(ILoss<T> Inner, double Temperature) : ILoss<T>
{
    /// <inheritdoc/>
    public IEngine<T> Engine => Inner.Engine;
    /// <inheritdoc/>
    public string Name => FormattableString.Invariant($"{Inner.Name} (temperature {Temperature:R})");
    /// <inheritdoc/>
    public long Count => Inner.Count;

    /// <inheritdoc/>
    public T PerSample(T x)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Inner.PerSample(Engine.Scale(x, Temperature)));
    }

    /// <inheritdoc/>
    public T Gradient(T x)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Engine.Scale(Inner.Gradient(Engine.Scale(x, Temperature)), Temperature));
    }

    /// <inheritdoc/>
    public T HessianVectorProduct(T x, T s)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Engine.Scale(Inner.HessianVectorProduct(Engine.Scale(x, Temperature), s), Temperature * Temperature));
    }

    /// <inheritdoc/>
    public ILoss<T> Select(ReadOnlySpan<long> rows) => new TemperedLoss<T>(Inner.Select(rows), Temperature);
}
