using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Tests.Sensitivity.Support;
using RobustNode.Tests.Training;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// Gradient-flow layers kept on their step rule by spectral normalisation (<see cref="StepRuleEnforcement.Normalisation"/>):
/// each layer is A ↦ ρA/‖A‖₂ of a free matrix held at norm ρ. Constraining puts every layer on the rule's boundary, from
/// inside as from outside; the gradient the optimizer follows is the loss's gradient through the normalisation (autograd
/// through ρA/‖A‖₂ in float64, once the tracked singular vectors have converged); projection leaves gradients alone; a network trained this way ends with every layer on
/// its boundary, learns, and keeps its certificates.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class NormalisedGradientFlowLayers
{
    private static readonly GradientFlowStepRule Normalised = GradientFlowStepRule.Default with { Enforcement = StepRuleEnforcement.Normalisation };

    private static GradientFlowField<Tensor> Field(Generator g, int rows, int dim, double scale, GradientFlowStepRule rule) =>
        GradientFlowField.Create(randn([3, rows, dim], dtype: float64, generator: g).Times(scale), randn([3, rows], dtype: float64, generator: g),
            1, Activation.Tanh, [FlowDirection.Contractive, FlowDirection.Expansive, FlowDirection.Contractive], rule).Ok();

    [Theory]
    [InlineData(6, 5, 0.05)]
    [InlineData(6, 5, 20.0)]
    [InlineData(80, 100, 0.05)]
    [InlineData(80, 100, 3.0)]
    public void Constraining_puts_every_layer_on_the_boundary_of_its_rule_from_inside_and_outside(int rows, int dim, double scale)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        var field = Field(g, rows, dim, scale, Normalised);
        const double h = 0.25;
        field.Constrain(h, ConstraintNorm.Tracked);
        field.Constrain(h);
        // The rule's radius less the rounding margin 1e-9: h·L = c (1 − 1e-9)².
        Assert.All(field.Check(h), c => Assert.Equal(c.Budget * (1 - 1e-9) * (1 - 1e-9), c.Value, 1e-12 * c.Budget));
    }

    [Theory]
    [InlineData(1, 6, 5)]
    [InlineData(2, 4, 9)]
    public void The_optimizer_gradient_is_the_gradient_through_the_normalisation(int seed, int rows, int dim)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var field = Field(g, rows, dim, 1, Normalised);
        const double h = 0.25;
        field.Constrain(h);
        var weights = field.Weights.clone();
        var gradient = randn(weights.shape, dtype: float64, generator: g);
        var biasGradient = randn([3, rows], dtype: float64, generator: g);

        // J(A) = ⟨G, ρA/‖A‖₂⟩ per layer, differentiated by autograd at the normalised A (where ρA/‖A‖₂ = A).
        var radius = linalg.matrix_norm(weights, 2);   // ρ of each layer: the field sits on its boundaries
        using var enable = enable_grad();
        var free = weights.clone().requires_grad_(true);
        var layers = free / linalg.matrix_norm(free, 2).view(3, 1, 1) * radius.detach().view(3, 1, 1);
        var expected = autograd.grad([(layers * gradient).sum()], [free])[0].detach();

        // The top singular pair comes from the tracked power iteration, warm-started at every call: exact once converged.
        var mapped = field.FreeParameterGradients([gradient, biasGradient]);
        for (int call = 0; call < 300; call++) mapped = field.FreeParameterGradients([gradient, biasGradient]);
        Close.Equal(expected, mapped[0], 1e-9, "∂J/∂A through the normalisation");
        Assert.Same(biasGradient, mapped[1]);
        // Under projection the gradients pass unchanged.
        var projected = field.WithRule(GradientFlowStepRule.Default).FreeParameterGradients([gradient, biasGradient]);
        Assert.Same(gradient, projected[0]);
    }

    [Fact]
    public void A_network_trained_with_normalised_layers_ends_on_the_boundaries_learns_and_keeps_its_certificates()
    {
        using var scope = NewDisposeScope();
        // 80 rows on d = 100: wider than the Jacobi limit, so normalised at every step by the tracked estimate.
        var (model, test) = CertificatesHold.TrainWideNetwork(
            GradientFlowLayers.NonExpansive(Activation.Relu, rows: 80) with { Enforcement = StepRuleEnforcement.Normalisation });
        var rules = TrainingHarness.Ok(StepConstraints.Check(model));
        Assert.All(rules, r => Assert.Equal(r.Budget * (1 - 1e-9) * (1 - 1e-9), r.Value, 1e-12 * r.Budget));
        Assert.True(TrainingHarness.Ok(Classification.Accuracy(model, test)) > 0.8);
        CertificatesHold.AssertNoCertifiedPointIsBroken(model, test, 20);
    }
}
