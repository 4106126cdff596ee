using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// Global average pooling [B, C, H, W] → [B, C]: linear without parameters, so every cotangent is spread
/// evenly over the H·W positions and its second-order terms vanish. TorchSharp only.
/// </summary>
public sealed record GlobalAveragePoolingBlock : IBlock<Tensor>
{
    /// <inheritdoc/>
    public IEngine<Tensor> Engine => TorchEngine.Instance;
    /// <inheritdoc/>
    public string Name => "average-pooling";
    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters => [];
    /// <inheritdoc/>
    public IBlock<Tensor> WithParameters(IReadOnlyList<Tensor> values) => this;

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == 4
            ? FinSucc(new[] { inputShape[0], inputShape[1] })
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("pooling input", "[B, C, H, W]", ShapeText.Of(inputShape)));

    /// <inheritdoc/>
    public Fin<IForwardSweep<Tensor>> Forward(Tensor input) =>
        OutputShape(input.shape).Map(_ =>
        {
            long[] shape = input.shape;
            return (IForwardSweep<Tensor>)new LinearMapSweep<Tensor>(input, x => x.mean([2, 3]), z => Spread(z, shape));
        });

    private static Tensor Spread(Tensor cotangent, long[] shape) =>
        cotangent.unsqueeze(2).unsqueeze(3).expand(shape).Over(shape[2] * shape[3]);
}
