using static TorchSharp.torch;

namespace RobustNode.Core.Losses;

/// <summary>Squared error ℓ = |x − y|₂² (seed talk): ∇ℓ = 2(x − y), ∇²ℓ·s = 2s.</summary>
public sealed class SquaredErrorLoss(Tensor targets) : ILoss
{
    /// <summary>Targets y [B, d].</summary>
    public Tensor Targets { get; } = targets;
    public string Name => "square";

    public Tensor PerSample(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x - Targets).square().sum(1).MoveToOuterDisposeScope();
    }

    public Tensor Gradient(Tensor x) => 2 * (x - Targets);

    public Tensor HessianVectorProduct(Tensor x, Tensor s) => 2 * s;

    public ILoss Select(Tensor indices) => new SquaredErrorLoss(Targets.index_select(0, indices));
}
