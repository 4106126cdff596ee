using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// Networks in float32 (the dtype of training) get the same sensitivities as in float64, to single-precision
/// rounding, from every adjoint strategy: values such as J and 𝒥 are read out of float32 tensors correctly, and
/// the directional derivative of the tangent as well.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class SinglePrecisionGradients
{
    [Theory]
    [InlineData("discrete")]
    [InlineData("stored")]
    [InlineData("checkpoint")]
    [InlineData("backsolve")]
    public void Float32_sensitivities_equal_float64_to_single_precision(string mode)
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 97, dim: 4, batch: 6, layers: 3, LossKind.CrossEntropy);
        var solver = SolverCatalog.Fixed(Tableaux.Rk4, 2);
        var augmented = new AugmentedLoss(0.1, AttackNorm.Infinity);
        var single = new SensitivityProblem<Tensor>(NeuralOdeField.Create(p.Weights.to(float32), p.Biases.to(float32), p.FinalTime).Ok(),
            p.X0.to(float32), CrossEntropyLoss.Create(p.Labels), solver);
        var method = AdjointMode.ByName[mode];

        var g64 = Sensitivities.AugmentedGradient(p.Problem(solver), augmented, method).Ok();
        var g32 = Sensitivities.AugmentedGradient(single, augmented, method).Ok();
        Assert.Equal(ScalarType.Float32, g32.AugmentedControlGradients[0].dtype);
        Close.Equal(g64.AugmentedLoss, g32.AugmentedLoss, 1e-5, "𝒥");
        Close.Equal(g64.FirstOrder.Loss, g32.FirstOrder.Loss, 1e-5, "J");
        Close.Equal(g64.AugmentedControlGradients[0], g32.AugmentedControlGradients[0].to(float64), 1e-4, "∇_W 𝒥");
        Close.Equal(g64.FirstOrder.InputSensitivity, g32.FirstOrder.InputSensitivity.to(float64), 1e-4, "p(0)");

        var f32 = Sensitivities.Gradient(single, method).Ok();
        Close.Equal(g64.FirstOrder.Loss, f32.Loss, 1e-5, "J (first order)");
        var t32 = Sensitivities.Tangent(single, single.X0).Ok();
        var t64 = Sensitivities.Tangent(p.Problem(solver), p.X0).Ok();
        Close.Equal(t64.DirectionalDerivative, t32.DirectionalDerivative, 1e-4, "⟨∇J, δx₀⟩");
    }
}
