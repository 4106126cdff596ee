using RobustNode.Core.Engines;
using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Training.Denoising;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Reconstruction;

/// <summary>
/// A linear inverse problem: recover images x [B, 1, H, W] from y = A x + noise. The data term is
/// f(x) = ½‖Ax − y‖² per image, with gradient ∇f(x) = Aᵀ(Ax − y), Lipschitz with constant L = ‖A‖₂² (bounded by
/// <see cref="ILinearOperator.NormSquaredBound"/>).
/// </summary>
/// <param name="Operator">A.</param>
/// <param name="Observation">y [B, 1, H, W].</param>
/// <param name="NoiseLevel">Standard deviation of the measurement noise that was added (for reports).</param>
public sealed record InverseProblem(ILinearOperator Operator, Tensor Observation, double NoiseLevel)
{
    /// <summary>
    /// The problem of measuring clean images: y = A x + σ ε, ε ~ N(0, I) drawn from <paramref name="seed"/>
    /// (tensors outside any dispose scope, owned by the problem).
    /// </summary>
    public static Fin<InverseProblem> Observe(ILinearOperator op, Tensor clean, double noise, long seed) =>
        op.Accepts(clean.shape).Bind(_ =>
        {
            using var scope = NewDisposeScope();
            return GaussianNoise.Add(op.Apply(clean), noise, seed).Map(y => new InverseProblem(op, y.DetachFromDisposeScope(), noise));
        });

    /// <summary>L, the Lipschitz constant of ∇f.</summary>
    public double Lipschitz => Operator.NormSquaredBound;

    /// <summary>∇f(x) = Aᵀ(Ax − y).</summary>
    public Tensor DataGradient(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Operator.Adjoint(Operator.Apply(x).sub_(Observation)).MoveToOuterDisposeScope();
    }

    /// <summary>f(x) = ½‖Ax − y‖² per image.</summary>
    public double[] DataFit(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Operator.Apply(x).sub_(Observation).to(ScalarType.Float64).pow(TorchScalars.Two).flatten(1).sum([1L]).TimesInPlace(0.5).data<double>().ToArray();
    }

    /// <summary>The usual starting point Aᵀy (the degraded image for blur, the observed pixels with zeros elsewhere for inpainting).</summary>
    public Tensor Start()
    {
        using var scope = NewDisposeScope();
        return Operator.Adjoint(Observation).MoveToOuterDisposeScope();
    }
}
