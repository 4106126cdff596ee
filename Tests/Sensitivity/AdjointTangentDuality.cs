using FsCheck.Xunit;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// Reverse and forward sensitivities of the same discretized network are transposes of each other:
/// ⟨p(0), δx₀⟩ = Σᵢ ⟨∇ℓᵢ(x(T)), δxᵢ(T)⟩ (δx(T) = Φ_x δx₀ by <see cref="Sensitivities.Tangent"/>), and
/// ⟨∇_u J, η⟩ equals the tangent's directional derivative along η. Both hold to rounding error for any
/// tableau, sizes and data.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class AdjointTangentDuality
{
    private const double Tolerance = 1e-12;

    [Property(MaxTest = 40)]
    public void Adjoint_and_tangent_are_dual(int seed)
    {
        using var scope = NewDisposeScope();
        var c = RandomCase.Draw(seed);
        var problem = c.Problem();
        var gradient = Sensitivities.Gradient(problem, AdjointMode.Discrete).Ok();
        var tangent = Sensitivities.Tangent(problem, c.Dx0).Ok();

        double reverse = (gradient.InputSensitivity * c.Dx0).sum().item<double>();
        var terms = problem.Loss.Gradient(gradient.FinalState) * tangent.FinalTangent;
        double forward = terms.sum().item<double>();
        double scale = (gradient.InputSensitivity * c.Dx0).abs().sum().item<double>() + terms.abs().sum().item<double>();
        Assert.True(Math.Abs(reverse - forward) <= Tolerance * scale, $"{c}: ⟨p(0), δx₀⟩ = {reverse:R}, Σ⟨∇ℓ, δx(T)⟩ = {forward:R}");
        Assert.True(Math.Abs(tangent.DirectionalDerivative * problem.BatchSize - forward) <= Tolerance * scale, $"{c}: directional derivative");
    }

    [Property(MaxTest = 40)]
    public void Control_gradient_equals_the_tangent_along_controls(int seed)
    {
        using var scope = NewDisposeScope();
        var c = RandomCase.Draw(seed);
        var problem = c.Problem();
        var gradient = Sensitivities.Gradient(problem, AdjointMode.Discrete).Ok();
        var tangent = Sensitivities.Tangent(problem, zeros_like(c.Node.X0), [c.EtaW, c.EtaB]).Ok();

        double reverse = c.AlongControls(gradient.ControlGradients);
        double scale = c.AlongControlsScale(gradient.ControlGradients);
        Assert.True(Math.Abs(reverse - tangent.DirectionalDerivative) <= Tolerance * scale,
            $"{c}: ⟨∇_u J, η⟩ = {reverse:R}, tangent = {tangent.DirectionalDerivative:R}");
    }
}
