using RobustNode.Core.Engines;
using FsCheck.Xunit;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Robust;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// The mixed second derivative ∂²J/∂u∂x₀[η, v] can be read off either first-order adjoint output:
/// d/dα ⟨∇_u J(x₀ + αv), η⟩ = d/dβ ⟨∇_{x₀} J(u + βη), v⟩ (Schwarz), both by central differences.
/// The second-order sweep computes exactly this quantity for v = ∇φ(p(0)) (the forward-over-reverse product of
/// DESIGN §1): ⟨∇_u 𝒥 − ∇_u J, η⟩ / ε = d/dβ mean ᵢ φ(pᵢ(0)) = d/dβ ⟨∇_{x₀} J(u + βη), v⟩.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class MixedSecondDerivativeIsSymmetric
{
    private const double H = 1e-5;

    [Property(MaxTest = 25)]
    public void Mixed_second_derivative_is_symmetric(int seed)
    {
        using var scope = NewDisposeScope();
        var c = RandomCase.Draw(seed);
        var (alongInput, alongControls, scale) = MixedDerivatives(c, c.Dx0);
        Assert.True(Math.Abs(alongInput - alongControls) <= 1e-6 * scale,
            $"{c}: d/dα⟨∇_u J, η⟩ = {alongInput:R}, d/dβ⟨∇_x₀ J, v⟩ = {alongControls:R}");
    }

    [Property(MaxTest = 25)]
    public void Second_order_sweep_is_the_mixed_derivative_along_the_penalty_direction(int seed)
    {
        using var scope = NewDisposeScope();
        var c = RandomCase.Draw(seed);
        const double epsilon = 0.5;
        var augmented = Sensitivities.AugmentedGradient(c.Problem(), new AugmentedLoss(epsilon, AttackNorm.Two), AdjointMode.Discrete).Ok();
        var v = TorchEngine.Instance.DualNormGradient(AttackNorm.Two, augmented.FirstOrder.InputSensitivity);
        var second = augmented.AugmentedControlGradients.Zip(augmented.FirstOrder.ControlGradients, (a, g) => (a - g) / epsilon).ToArray();
        double sweep = c.AlongControls(second);
        var (alongInput, alongControls, scale) = MixedDerivatives(c, v);
        scale += c.AlongControlsScale(second);
        Assert.True(Math.Abs(sweep - alongInput) <= 1e-6 * scale, $"{c}: sweep {sweep:R}, d/dα⟨∇_u J(x₀ + αv), η⟩ = {alongInput:R}");
        Assert.True(Math.Abs(sweep - alongControls) <= 1e-6 * scale, $"{c}: sweep {sweep:R}, d/dβ⟨∇_x₀ J(u + βη), v⟩ = {alongControls:R}");
    }

    /// <summary>Central differences of the two adjoint outputs, and the size of the terms they are made of.</summary>
    private static (double AlongInput, double AlongControls, double Scale) MixedDerivatives(RandomCase c, Tensor v)
    {
        var moveInput = c with { Dx0 = v };
        double ControlSlope(double alpha) => c.AlongControls(Sensitivities.Gradient(moveInput.Moved(alpha, 0), AdjointMode.Discrete).Ok().ControlGradients);
        double InputSlope(double beta) =>
            (Sensitivities.Gradient(c.Moved(0, beta), AdjointMode.Discrete).Ok().InputSensitivity * v).sum().item<double>() / c.Node.Batch;
        double alongInput = (ControlSlope(H) - ControlSlope(-H)) / (2 * H);
        double alongControls = (InputSlope(H) - InputSlope(-H)) / (2 * H);
        return (alongInput, alongControls, Math.Abs(alongInput) + Math.Abs(alongControls) + 1e-8);
    }
}
