using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// Every embedded tableau, stepped adaptively, works with every adjoint strategy, first and second order: the
/// results are finite and approximate the gradient of the continuous problem (a fine fixed-step discrete
/// adjoint) to the accuracy the tolerances ask for.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class AdaptiveSolversWorkWithEveryAdjoint
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var tableau in Tableaux.All.Where(t => t.IsAdaptive))
            foreach (var mode in AdjointMode.ByName.Keys)
                data.Add(tableau.Name, mode);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Adaptive_solver_works_with_every_adjoint(string scheme, string mode)
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 71, dim: 3, batch: 4, layers: 2, LossKind.CrossEntropy);
        var augmented = new AugmentedLoss(0.1, AttackNorm.Infinity);
        // Heun's embedded estimate is first order: a looser tolerance keeps its step count comparable.
        double rtol = scheme == "heun" ? 1e-4 : 1e-6;
        var adaptive = p.Problem(SolverCatalog.Adaptive(SolverCatalog.BuiltIn[scheme], rtol, atol: rtol / 100));
        var fine = p.Problem(SolverCatalog.Fixed(Tableaux.Rk4, 32));

        var gradient = Sensitivities.Gradient(adaptive, AdjointMode.ByName[mode]).Ok();
        var second = Sensitivities.AugmentedGradient(adaptive, augmented, AdjointMode.ByName[mode]).Ok();
        var reference = Sensitivities.AugmentedGradient(fine, augmented, AdjointMode.Discrete).Ok();

        Assert.True(gradient.Statistics.AcceptedSteps >= p.Layers, "at least one step per layer");
        foreach (var t in gradient.ControlGradients.Concat(second.AugmentedControlGradients).Append(gradient.InputSensitivity))
            Assert.True(isfinite(t).all().item<bool>(), "finite results");
        Close.Equal(reference.FirstOrder.ControlGradients[0], gradient.ControlGradients[0], 50 * rtol, "∇_W J");
        Close.Equal(reference.FirstOrder.InputSensitivity, gradient.InputSensitivity, 50 * rtol, "p(0)");
        Close.Equal(reference.AugmentedControlGradients[0], second.AugmentedControlGradients[0], 50 * rtol, "∇_W 𝒥");
        Close.Equal(reference.AugmentedControlGradients[1], second.AugmentedControlGradients[1], 50 * rtol, "∇_b 𝒥");
    }
}
