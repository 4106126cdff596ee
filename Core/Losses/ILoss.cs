using RobustNode.Core.Engines;

namespace RobustNode.Core.Losses;

/// <summary>
/// A terminal loss ℓ(x(T), y) with its targets bound in, on one engine. Gradients are of the sum of the per-sample
/// losses, so row i of <see cref="Gradient"/> is ∇ℓᵢ — what p(T) of sample i needs (DESIGN §1).
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public interface ILoss<T>
{
    /// <summary>The engine the loss computes with.</summary>
    IEngine<T> Engine { get; }

    /// <summary>Name used in files and messages.</summary>
    string Name { get; }

    /// <summary>Number of samples the loss has targets for (the batch size it expects).</summary>
    long Count { get; }

    /// <summary>Per-sample losses ℓᵢ, shape [B].</summary>
    T PerSample(T x);

    /// <summary>∇ₓ Σᵢ ℓᵢ, shape [B, d].</summary>
    T Gradient(T x);

    /// <summary>∇²ₓ Σᵢ ℓᵢ applied to s (blockwise per sample), shape [B, d].</summary>
    T HessianVectorProduct(T x, T s);

    /// <summary>The same loss on a subset of samples: the targets of the given rows, in that order.</summary>
    ILoss<T> Select(ReadOnlySpan<long> rows);
}
