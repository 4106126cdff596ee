using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// A skip connection around a shape-preserving block: y = z + s·N(z). With s = −1 and N a plain CNN this is the
/// residual denoiser of DnCNN (the network predicts the noise, the block subtracts it). Being affine in N, its sweeps
/// pass s-scaled cotangents to N and add the identity's: λ_in = λ + N_zᵀ(sλ), σ_out = σ + s N_z σ,
/// μ_in = μ + N_zᵀ(sμ) + ∂_z(N_zᵀ sλ)·σ, and the parameter cotangents are N's with sλ, sμ.
/// </summary>
/// <param name="Inner">The block N, mapping [B, …] to the same shape.</param>
/// <param name="Scale">s (−1 for a residual denoiser).</param>
/// <remarks>Zhang, Zuo, Chen, Meng, Zhang, "Beyond a Gaussian denoiser: residual learning of deep CNN for image denoising", IEEE TIP 26(7), 2017.</remarks>
public sealed record SkipConnectionBlock(IBlock Inner, double Scale) : IBlock
{
    public string Name => "skip-connection";
    public IReadOnlyList<Tensor> Parameters => Inner.Parameters;
    public IBlock WithParameters(IReadOnlyList<Tensor> values) => this with { Inner = Inner.WithParameters(values) };

    public Fin<long[]> OutputShape(long[] inputShape) =>
        Inner.OutputShape(inputShape).Bind(output => output.SequenceEqual(inputShape)
            ? FinSucc(inputShape)
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("skip connection: the inner block's output", "[" + string.Join(", ", inputShape) + "]",
                "[" + string.Join(", ", output) + "]")));

    public Fin<IForwardSweep> Forward(Tensor input) =>
        OutputShape(input.shape).Bind(_ => Inner.Forward(input)).Map(inner => (IForwardSweep)new Sweep(Scale, inner, input.add(inner.Final, Scale)));

    private sealed class Sweep(double scale, IForwardSweep inner, Tensor output) : IForwardSweep
    {
        public Tensor Final => output;
        public SolveStatistics Statistics => inner.Statistics;

        public Fin<ReverseResult> Reverse(Tensor lambdaT, bool withControls) =>
            inner.Reverse(lambdaT.mul(scale), withControls).Map(r => new ReverseResult(lambdaT.add(r.Lambda0), r.Controls, r.Statistics));

        public Fin<ITangentSweep> Tangent(Tensor sigma0) =>
            inner.Tangent(sigma0).Map(t => (ITangentSweep)new TangentSweep(scale, t, sigma0.add(t.Final, scale)));

        public void Dispose() => inner.Dispose();
    }

    private sealed class TangentSweep(double scale, ITangentSweep inner, Tensor sigmaOut) : ITangentSweep
    {
        public Tensor Final => sigmaOut;
        public SolveStatistics Statistics => inner.Statistics;

        public Fin<SecondOrderReverseResult> Reverse(Tensor lambdaT, Tensor muT) =>
            inner.Reverse(lambdaT.mul(scale), muT.mul(scale)).Map(r =>
                new SecondOrderReverseResult(lambdaT.add(r.Lambda0), muT.add(r.Mu0), r.Controls, r.SecondOrderControls, r.Statistics));

        public void Dispose() => inner.Dispose();
    }
}
