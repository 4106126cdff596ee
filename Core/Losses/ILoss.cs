using static TorchSharp.torch;

namespace RobustNode.Core.Losses;

/// <summary>
/// A terminal loss ℓ(x(T), y) with its targets bound in. Gradients are of the sum of the per-sample
/// losses, so row i of <see cref="Gradient"/> is ∇ℓᵢ — what p(T) of sample i needs (DESIGN §1).
/// </summary>
public interface ILoss
{
    /// <summary>Name used in files and messages.</summary>
    string Name { get; }

    /// <summary>Per-sample losses ℓᵢ, shape [B].</summary>
    Tensor PerSample(Tensor x);

    /// <summary>∇ₓ Σᵢ ℓᵢ, shape [B, d].</summary>
    Tensor Gradient(Tensor x);

    /// <summary>∇²ₓ Σᵢ ℓᵢ applied to s (blockwise per sample), shape [B, d].</summary>
    Tensor HessianVectorProduct(Tensor x, Tensor s);

    /// <summary>The same loss on a subset of samples (rows of the batch).</summary>
    ILoss Select(Tensor indices);
}
