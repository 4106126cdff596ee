using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// A skip connection around a shape-preserving block: y = z + s·N(z). With s = −1 and N a plain CNN this is the
/// residual denoiser of DnCNN (the network predicts the noise, the block subtracts it). Being affine in N, its sweeps
/// pass s-scaled cotangents to N and add the identity's: λ_in = λ + N_zᵀ(sλ), σ_out = σ + s N_z σ,
/// μ_in = μ + N_zᵀ(sμ) + ∂_z(N_zᵀ sλ)·σ, and the parameter cotangents are N's with sλ, sμ.
/// </summary>
/// <param name="Inner">The block N, mapping [B, …] to the same shape.</param>
/// <param name="Scale">s (−1 for a residual denoiser).</param>
/// <typeparam name="T">The engine's tensor type.</typeparam>
/// <remarks>Zhang, Zuo, Chen, Meng, Zhang, "Beyond a Gaussian denoiser: residual learning of deep CNN for image denoising", IEEE TIP 26(7), 2017.</remarks>
public sealed record SkipConnectionBlock<T>(IBlock<T> Inner, double Scale) : IBlock<T>
{
    /// <inheritdoc/>
    public IEngine<T> Engine => Inner.Engine;
    /// <inheritdoc/>
    public string Name => "skip-connection";
    /// <inheritdoc/>
    public bool RowsIndependent => Inner.RowsIndependent;
    /// <inheritdoc/>
    public IReadOnlyList<T> Parameters => Inner.Parameters;
    /// <inheritdoc/>
    public IBlock<T> WithParameters(IReadOnlyList<T> values) => this with { Inner = Inner.WithParameters(values) };

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape) =>
        Inner.OutputShape(inputShape).Bind(output => output.SequenceEqual(inputShape)
            ? FinSucc(inputShape)
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("skip connection: the inner block's output", ShapeText.Of(inputShape), ShapeText.Of(output))));

    /// <inheritdoc/>
    public Fin<IForwardSweep<T>> Forward(T input) =>
        OutputShape(Engine.Shape(input)).Bind(_ => Inner.Forward(input))
            .Map(inner => (IForwardSweep<T>)new Sweep(Engine, Scale, inner, Engine.Add(input, inner.Final, Scale)));

    private sealed class Sweep(IEngine<T> engine, double scale, IForwardSweep<T> inner, T output) : IForwardSweep<T>
    {
        public T Final => output;
        public SolveStatistics Statistics => inner.Statistics;

        public Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls) =>
            inner.Reverse(engine.Scale(lambdaT, scale), withControls).Map(r => new ReverseResult<T>(engine.Add(lambdaT, r.Lambda0), r.Controls, r.Statistics));

        public Fin<ReverseResult<T>> ReverseBeforeSecondOrder(T lambdaT) =>
            inner.ReverseBeforeSecondOrder(engine.Scale(lambdaT, scale)).Map(r => new ReverseResult<T>(engine.Add(lambdaT, r.Lambda0), r.Controls, r.Statistics));

        public Fin<ITangentSweep<T>> Tangent(T sigma0) =>
            inner.Tangent(sigma0).Map(t => (ITangentSweep<T>)new TangentSweep(engine, scale, t, engine.Add(sigma0, t.Final, scale)));

        public void Dispose() => inner.Dispose();
    }

    private sealed class TangentSweep(IEngine<T> engine, double scale, ITangentSweep<T> inner, T sigmaOut) : ITangentSweep<T>
    {
        public T Final => sigmaOut;
        public SolveStatistics Statistics => inner.Statistics;

        public Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT) =>
            inner.Reverse(engine.Scale(lambdaT, scale), engine.Scale(muT, scale)).Map(r =>
                new SecondOrderReverseResult<T>(engine.Add(lambdaT, r.Lambda0), engine.Add(muT, r.Mu0), r.Controls, r.SecondOrderControls, r.Statistics));

        public void Dispose() => inner.Dispose();
    }
}

/// <summary>Builds <see cref="SkipConnectionBlock{T}"/> values.</summary>
public static class SkipConnectionBlock
{
    /// <summary>y = z + s·N(z) around a block N of any engine.</summary>
    public static SkipConnectionBlock<T> Around<T>(IBlock<T> inner, double scale) => new(inner, scale);
}
