using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// An affine block y = W z + b (W [out, in], b [out]), e.g. a read-out to class logits. Being linear in z,
/// its second-order terms reduce to ∂_z(W_θᵀλ)·σ = λ σᵀ for the weights and zero otherwise.
/// </summary>
public sealed record LinearBlock(Tensor Weight, Tensor Bias) : IBlock
{
    public string Name => "linear";
    public IReadOnlyList<Tensor> Parameters => [Weight, Bias];
    public IBlock WithParameters(IReadOnlyList<Tensor> values) => new LinearBlock(values[0], values[1]);

    /// <summary>A read-out with weights drawn uniformly in ±1/√in (PyTorch's nn.Linear initialisation) from a generator.</summary>
    public static LinearBlock Initialised(long inputs, long outputs, Generator generator, ScalarType dtype = ScalarType.Float64)
    {
        double bound = 1.0 / Math.Sqrt(inputs);
        return new LinearBlock((rand([outputs, inputs], dtype: dtype, generator: generator) * 2 - 1) * bound,
            (rand([outputs], dtype: dtype, generator: generator) * 2 - 1) * bound);
    }

    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == 2 && inputShape[1] == Weight.shape[1]
            ? FinSucc(new[] { inputShape[0], Weight.shape[0] })
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("linear block input", $"[B, {Weight.shape[1]}]", "[" + string.Join(", ", inputShape) + "]"));

    public Fin<IForwardSweep> Forward(Tensor input) =>
        OutputShape(input.shape).Map(_ => (IForwardSweep)new Sweep(this, input, nn.functional.linear(input, Weight, Bias)));

    private sealed class Sweep(LinearBlock block, Tensor input, Tensor output) : IForwardSweep
    {
        public Tensor Final => output;
        public SolveStatistics Statistics => SolveStatistics.Zero;

        public Fin<ReverseResult> Reverse(Tensor lambdaT, bool withControls) =>
            new ReverseResult(lambdaT.matmul(block.Weight), withControls ? [lambdaT.t().matmul(input), lambdaT.sum(dim: 0)] : [], SolveStatistics.Zero);

        public Fin<ITangentSweep> Tangent(Tensor sigma0) => new TangentSweep(block, input, sigma0, sigma0.matmul(block.Weight.t()));

        public void Dispose() { }
    }

    private sealed class TangentSweep(LinearBlock block, Tensor input, Tensor sigmaIn, Tensor sigmaOut) : ITangentSweep
    {
        public Tensor Final => sigmaOut;
        public SolveStatistics Statistics => SolveStatistics.Zero;

        public Fin<SecondOrderReverseResult> Reverse(Tensor lambdaT, Tensor muT) =>
            new SecondOrderReverseResult(lambdaT.matmul(block.Weight), muT.matmul(block.Weight),
                [lambdaT.t().matmul(input), lambdaT.sum(dim: 0)],
                [muT.t().matmul(input).add_(lambdaT.t().matmul(sigmaIn)), muT.sum(dim: 0)],
                SolveStatistics.Zero);

        public void Dispose() { }
    }
}
