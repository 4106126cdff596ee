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
        OutputShape(input.shape).Map(_ => (IForwardSweep<Tensor>)new Sweep(input.shape, input.mean([2, 3])));

    private static Tensor Spread(Tensor cotangent, long[] shape) =>
        cotangent.unsqueeze(2).unsqueeze(3).expand(shape).Over(shape[2] * shape[3]);

    private sealed class Sweep(long[] inputShape, Tensor output) : IForwardSweep<Tensor>
    {
        public Tensor Final => output;
        public SolveStatistics Statistics => SolveStatistics.Zero;
        public Fin<ReverseResult<Tensor>> Reverse(Tensor lambdaT, bool withControls) => new ReverseResult<Tensor>(Spread(lambdaT, inputShape), [], SolveStatistics.Zero);
        public Fin<ITangentSweep<Tensor>> Tangent(Tensor sigma0) => new TangentSweep(inputShape, sigma0.mean([2, 3]));
        public void Dispose() { }
    }

    private sealed class TangentSweep(long[] inputShape, Tensor sigmaOut) : ITangentSweep<Tensor>
    {
        public Tensor Final => sigmaOut;
        public SolveStatistics Statistics => SolveStatistics.Zero;
        public Fin<SecondOrderReverseResult<Tensor>> Reverse(Tensor lambdaT, Tensor muT) =>
            new SecondOrderReverseResult<Tensor>(Spread(lambdaT, inputShape), Spread(muT, inputShape), [], [], SolveStatistics.Zero);
        public void Dispose() { }
    }
}
