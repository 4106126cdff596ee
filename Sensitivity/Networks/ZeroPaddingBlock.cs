using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// Lifts inputs [B, n] into the state space [B, d] by appending d − n zeros (augmented neural ODEs, Dupont et
/// al. 2019), so that the flow has room to untangle classes. No parameters; its adjoint keeps the first n
/// components.
/// </summary>
public sealed record ZeroPaddingBlock(long Inputs, long Dim) : IBlock
{
    public string Name => "zero-padding";
    public IReadOnlyList<Tensor> Parameters => [];
    public IBlock WithParameters(IReadOnlyList<Tensor> values) => this;

    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == 2 && inputShape[1] == Inputs && Dim >= Inputs
            ? FinSucc(new[] { inputShape[0], Dim })
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("input", $"[B, {Inputs}]", "[" + string.Join(", ", inputShape) + "]"));

    public Fin<IForwardSweep> Forward(Tensor input) =>
        OutputShape(input.shape).Map(_ => (IForwardSweep)new Sweep(this, Pad(input)));

    private Tensor Pad(Tensor z) => Dim == Inputs ? z.alias() : nn.functional.pad(z, [0, Dim - Inputs]);
    private Tensor Crop(Tensor z) => z.narrow(1, 0, Inputs);

    private sealed class Sweep(ZeroPaddingBlock block, Tensor output) : IForwardSweep
    {
        public Tensor Final => output;
        public SolveStatistics Statistics => SolveStatistics.Zero;
        public Fin<ReverseResult> Reverse(Tensor lambdaT, bool withControls) => new ReverseResult(block.Crop(lambdaT), [], SolveStatistics.Zero);
        public Fin<ITangentSweep> Tangent(Tensor sigma0) => new TangentSweep(block, block.Pad(sigma0));
        public void Dispose() { }
    }

    private sealed class TangentSweep(ZeroPaddingBlock block, Tensor sigmaOut) : ITangentSweep
    {
        public Tensor Final => sigmaOut;
        public SolveStatistics Statistics => SolveStatistics.Zero;
        public Fin<SecondOrderReverseResult> Reverse(Tensor lambdaT, Tensor muT) =>
            new SecondOrderReverseResult(block.Crop(lambdaT), block.Crop(muT), [], [], SolveStatistics.Zero);
        public void Dispose() { }
    }
}
