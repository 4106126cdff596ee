using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Training.Models;
using Xunit;
using static RobustNode.Tests.Networks.ConvolutionProblems;
using static TorchSharp.torch;

namespace RobustNode.Tests.Networks;

/// <summary>
/// A training step does not want the images' cotangents λ(0) and μ(0): the first (convolutional) block then forms its
/// kernel terms by correlations, without the transposed convolutions to the images; and it wants ∇J + ε∇Ψ only, which one
/// combined second-order sweep forms. The control gradients are those of the sweeps that form λ(0), μ(0) and ∇J apart
/// (float64, the image network with a small width).
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class SweepsForControlsLeaveTheGradientsUnchanged
{
    private static Network<Tensor> Network() =>
        new ConvolutionalOdeModel(Width: 8, Layers: 2).Build(SolverCatalog.Fixed(Tableaux.Euler), AdjointMode.Discrete, 5, ScalarType.Float64)
            .Match(n => n, e => throw new InvalidOperationException(e.Message));

    private static T Ok<T>(LanguageExt.Fin<T> result) => result.Match(r => r, e => throw new InvalidOperationException(e.Message));

    [Fact]
    public void The_first_order_gradient_for_the_controls_equals_the_one_that_forms_the_images_cotangent()
    {
        using var scope = NewDisposeScope();
        var network = Network();
        manual_seed(3);
        var images = rand(4, 1, 28, 28, dtype: float64);
        var loss = CrossEntropyLoss.Create(randint(0, 10, [4], dtype: int64));

        var full = Ok(LossDerivatives.Gradient(network, images, loss));
        var forControls = Ok(LossDerivatives.ControlGradient(network, images, loss));

        Assert.Equal(full.Loss, forControls.Loss);
        Assert.Equal(0, forControls.InputSensitivity.numel());
        for (int j = 0; j < full.ControlGradients.Count; j++)
            Assert.True(MaxRelative(forControls.ControlGradients[j], full.ControlGradients[j]) < 1e-12, $"control {j}");
    }

    [Fact]
    public void The_second_order_sweep_for_the_controls_equals_the_one_that_forms_the_images_cotangents()
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        var network = Network();
        manual_seed(4);
        var images = rand(4, 1, 28, 28, dtype: float64);
        var sigma0 = randn_like(images);

        SecondOrderReverseResult<Tensor> Sweeps(bool forControls)
        {
            using var forward = Ok(network.Forward(images));
            manual_seed(9);
            var (lambdaT, muT) = (randn_like(forward.Final), randn_like(forward.Final));
            Ok(forward.ReverseBeforeSecondOrder(lambdaT));
            using var tangent = Ok(forward.Tangent(sigma0));
            return Ok(forControls ? tangent.ReverseForControls(lambdaT, muT) : tangent.Reverse(lambdaT, muT));
        }

        var full = Sweeps(forControls: false);
        var forControls = Sweeps(forControls: true);
        for (int j = 0; j < full.Controls.Count; j++)
        {
            Assert.True(MaxRelative(forControls.Controls[j], full.Controls[j]) < 1e-12, $"first-order control {j}");
            Assert.True(MaxRelative(forControls.SecondOrderControls[j], full.SecondOrderControls[j]) < 1e-12, $"second-order control {j}");
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.7)]
    public void The_combined_training_gradient_equals_the_gradient_plus_the_weighted_penalty_gradient(double epsilon)
    {
        using var scope = NewDisposeScope();
        var network = Network();
        manual_seed(5);
        var images = rand(4, 1, 28, 28, dtype: float64);
        var loss = CrossEntropyLoss.Create(randint(0, 10, [4], dtype: int64));
        var augmented = new AugmentedLoss(epsilon, AttackNorm.Parse("inf")!);

        var separate = Ok(LossDerivatives.AugmentedGradient(network, images, loss, augmented));
        var combined = Ok(LossDerivatives.AugmentedControlGradient(network, images, loss, augmented));

        Assert.Equal(separate.AugmentedLoss, combined.AugmentedLoss, 14);
        for (int j = 0; j < separate.AugmentedControlGradients.Count; j++)
            Assert.True(MaxRelative(combined.AugmentedControlGradients[j], separate.AugmentedControlGradients[j]) < 1e-12, $"control {j}");
    }
}
