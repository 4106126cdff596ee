using LanguageExt;
using RobustNode.Core.Errors;
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
/// Errors are values: a network that produces NaN, an input of the wrong shape or a negative ε gives a
/// <see cref="Fin{A}"/> failure with a domain error — never an exception or a native abort — for every adjoint
/// strategy, with fixed and adaptive steps.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class FailuresAreValues
{
    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var mode in AdjointMode.ByName.Keys)
            foreach (var adaptive in new[] { false, true })
                data.Add(mode, adaptive);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_NaN_weight_gives_a_failure_value(string mode, bool adaptive)
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 73, dim: 3, batch: 4, layers: 3, LossKind.CrossEntropy);
        var weights = p.Weights.clone();
        weights[1, 0, 2] = tensor(double.NaN);
        var solver = adaptive ? SolverCatalog.Adaptive(Tableaux.DormandPrince) : SolverCatalog.Fixed(Tableaux.Rk4);
        var problem = p.WithControls(weights, p.Biases).Problem(solver);
        var method = AdjointMode.ByName[mode];

        AssertFailure(Sensitivities.Gradient(problem, method), RobustNodeErrors.NonFiniteStateCode, RobustNodeErrors.StepSizeUnderflowCode);
        AssertFailure(Sensitivities.AugmentedGradient(problem, new AugmentedLoss(0.1, AttackNorm.Two), method),
            RobustNodeErrors.NonFiniteStateCode, RobustNodeErrors.StepSizeUnderflowCode);
        AssertFailure(Sensitivities.InputSensitivity(problem, method), RobustNodeErrors.NonFiniteStateCode, RobustNodeErrors.StepSizeUnderflowCode);
        AssertFailure(Sensitivities.Tangent(problem, p.X0), RobustNodeErrors.NonFiniteStateCode, RobustNodeErrors.StepSizeUnderflowCode);
    }

    [Fact]
    public void An_input_of_the_wrong_shape_gives_a_failure_value()
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 79, dim: 3, batch: 4, layers: 2, LossKind.Square);
        var problem = p.Problem(SolverCatalog.Fixed(Tableaux.Rk4)) with { X0 = zeros(4, 5, dtype: float64) };
        foreach (var method in AdjointMode.ByName.Values)
        {
            AssertFailure(Sensitivities.Gradient(problem, method), RobustNodeErrors.ShapeMismatchCode);
            AssertFailure(Sensitivities.AugmentedGradient(problem, new AugmentedLoss(0.1, AttackNorm.Infinity), method), RobustNodeErrors.ShapeMismatchCode);
        }
        AssertFailure(Sensitivities.Tangent(p.Problem(SolverCatalog.Fixed(Tableaux.Rk4)), zeros(4, 2, dtype: float64)), RobustNodeErrors.ShapeMismatchCode);
    }

    [Fact]
    public void A_negative_epsilon_gives_a_failure_value()
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 83, dim: 3, batch: 4, layers: 2, LossKind.Square);
        AssertFailure(Sensitivities.AugmentedGradient(p.Problem(SolverCatalog.Fixed(Tableaux.Rk4)), new AugmentedLoss(-0.1, AttackNorm.Two)),
            RobustNodeErrors.InvalidArgumentCode);
    }

    private static void AssertFailure<T>(Fin<T> result, params int[] codes) =>
        result.Match(
            Succ: _ => Assert.Fail("expected a failure value, got a result"),
            Fail: e => Assert.True(codes.Contains(e.Code), $"error code {e.Code} ({e.Message}), expected one of {string.Join(", ", codes)}"));
}
