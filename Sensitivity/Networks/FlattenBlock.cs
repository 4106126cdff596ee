using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// Feature maps [B, C, H, W] as vectors [B, C·H·W] (a reshape), so that a read-out sees every position: linear without
/// parameters, its cotangents are reshaped back and its second-order terms vanish. An isometry, so its Lipschitz
/// bound is 1 — unlike average pooling (1/√(HW), which keeps only each channel's mean). TorchSharp only.
/// </summary>
public sealed record FlattenBlock : IBlock<Tensor>, ILipschitzBlock
{
    /// <inheritdoc/>
    public IEngine<Tensor> Engine => TorchEngine.Instance;
    /// <inheritdoc/>
    public string Name => "flatten";
    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters => [];
    /// <inheritdoc/>
    public IBlock<Tensor> WithParameters(IReadOnlyList<Tensor> values) => this;

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == 4
            ? FinSucc(new[] { inputShape[0], inputShape[1] * inputShape[2] * inputShape[3] })
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("flatten input", "[B, C, H, W]", ShapeText.Of(inputShape)));

    /// <inheritdoc/>
    public Fin<LipschitzBound> LipschitzBound(long[] inputShape) =>
        OutputShape(inputShape).Map(_ => Lipschitz.LipschitzBound.Of(Name, 1, "a reshape: an isometry"));

    /// <inheritdoc/>
    public Fin<IForwardSweep<Tensor>> Forward(Tensor input) =>
        OutputShape(input.shape).Map(_ =>
        {
            long[] shape = input.shape;
            return (IForwardSweep<Tensor>)new LinearMapSweep<Tensor>(input, x => x.flatten(1), z => z.reshape(shape));
        });
}
