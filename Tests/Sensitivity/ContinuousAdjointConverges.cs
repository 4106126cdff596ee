using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// The continuous adjoint ("optimize, then discretize") approximates the gradient of the continuous problem:
/// on x' = A x its ∇_A J converges to the closed form (<see cref="LinearFlow"/>) at the scheme's order, whatever
/// the strategy for the forward states; with adaptive dopri5 the three strategies agree to the tolerance; and the
/// continuous second-order adjoint approaches the discrete one at the scheme's order as the steps shrink.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class ContinuousAdjointConverges(ITestOutputHelper output)
{
    public static TheoryData<string, int[], string> Ladders()
    {
        // Step ladders (steps per unit time) in the asymptotic range and well above rounding.
        var ladders = new (string Scheme, int[] Steps)[]
        {
            ("euler", [32, 64, 128, 256]),
            ("midpoint", [8, 16, 32, 64]),
            ("heun", [8, 16, 32, 64]),
            ("rk4", [4, 8, 16, 32]),
        };
        var data = new TheoryData<string, int[], string>();
        foreach (var (scheme, steps) in ladders)
            foreach (var strategy in new[] { "stored", "checkpoint", "backsolve" })
                data.Add(scheme, steps, strategy);
        return data;
    }

    [Theory]
    [MemberData(nameof(Ladders))]
    public void Continuous_adjoint_converges_at_the_scheme_order(string scheme, int[] steps, string strategy)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        using var g = new Generator(11);
        var a = randn([3, 3], dtype: float64, generator: g).mul_(0.8);
        var x0 = randn([4, 3], dtype: float64, generator: g);
        var targets = randn([4, 3], dtype: float64, generator: g);
        const double finalTime = 1.0;
        var field = LinearField.Create(a, finalTime, layers: 1).Ok();
        var exact = LinearFlow.SquaredErrorGradient(a, x0, targets, finalTime);

        var errors = steps.Select(m =>
        {
            var problem = new RobustNode.Sensitivity.Problems.SensitivityProblem<Tensor>(field, x0, SquaredErrorLoss.Create(targets), SolverCatalog.Fixed(tableau, m));
            var gradient = Sensitivities.Gradient(problem, AdjointMode.ByName[strategy]).Ok();
            return Close.RelativeError(gradient.ControlGradients[0], exact);
        }).ToArray();
        double slope = ObservedOrder.Slope(steps.Select(m => finalTime / m).ToArray(), errors);
        output.WriteLine($"{scheme}/{strategy}: errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}, slope {slope:F3}");
        Assert.True(Math.Abs(slope - tableau.Order) <= 0.2, $"{scheme}/{strategy}: observed order {slope:F3}, expected {tableau.Order}");
    }

    [Fact]
    public void Continuous_strategies_agree_to_the_tolerance_with_adaptive_dopri5()
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 61, dim: 4, batch: 6, layers: 3, LossKind.CrossEntropy, finalTime: 1.5);
        const double rtol = 1e-8;
        var solver = SolverCatalog.Adaptive(SolverCatalog.BuiltIn["dopri5"], rtol, atol: rtol / 100);
        var problem = p.Problem(solver);
        var augmented = new AugmentedLoss(0.1, AttackNorm.Infinity);
        var first = new[] { "stored", "checkpoint", "backsolve" }.Select(s => Sensitivities.Gradient(problem, AdjointMode.ByName[s]).Ok()).ToArray();
        var second = new[] { "stored", "checkpoint", "backsolve" }.Select(s => Sensitivities.AugmentedGradient(problem, augmented, AdjointMode.ByName[s]).Ok()).ToArray();
        // The exact gradient of the continuous problem, approximated by the discrete adjoint on a fine fixed grid.
        var fine = p.Problem(SolverCatalog.Fixed(SolverCatalog.BuiltIn["dopri5"], 64));
        var reference = Sensitivities.Gradient(fine, AdjointMode.Discrete).Ok();
        var referenceAugmented = Sensitivities.AugmentedGradient(fine, augmented, AdjointMode.Discrete).Ok();

        for (int i = 1; i < 3; i++)
        {
            Close.Equal(first[0].ControlGradients[0], first[i].ControlGradients[0], 100 * rtol, $"∇_W J, stored vs strategy {i}");
            Close.Equal(first[0].InputSensitivity, first[i].InputSensitivity, 100 * rtol, $"p(0), stored vs strategy {i}");
            Close.Equal(second[0].AugmentedControlGradients[0], second[i].AugmentedControlGradients[0], 100 * rtol, $"∇_W 𝒥, stored vs strategy {i}");
        }
        foreach (var f in first) Close.Equal(reference.ControlGradients[0], f.ControlGradients[0], 100 * rtol, "∇_W J vs the fine discrete gradient");
        foreach (var s in second) Close.Equal(referenceAugmented.AugmentedControlGradients[0], s.AugmentedControlGradients[0], 100 * rtol, "∇_W 𝒥 vs the fine discrete gradient");
    }

    public static TheoryData<string, int[], string> SecondOrderLadders() => new()
    {
        { "euler", [16, 32, 64, 128], "stored" },
        { "midpoint", [8, 16, 32, 64], "checkpoint" },
        { "rk4", [2, 4, 8, 16], "backsolve" },
        { "rk4", [2, 4, 8, 16], "stored" },
    };

    [Theory]
    [MemberData(nameof(SecondOrderLadders))]
    public void Continuous_second_order_adjoint_approaches_the_discrete_one_at_the_scheme_order(string scheme, int[] steps, string strategy)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var p = NodeProblem.Draw(seed: 67, dim: 3, batch: 4, layers: 2, LossKind.CrossEntropy);
        var augmented = new AugmentedLoss(0.2, AttackNorm.Two);
        var layerWidth = p.FinalTime / p.Layers;
        var differences = steps.Select(m =>
        {
            var problem = p.Problem(SolverCatalog.Fixed(tableau, m));
            var continuous = Sensitivities.AugmentedGradient(problem, augmented, AdjointMode.ByName[strategy]).Ok();
            var discrete = Sensitivities.AugmentedGradient(problem, augmented, AdjointMode.Discrete).Ok();
            return Close.RelativeError(cat([continuous.AugmentedControlGradients[0].flatten(), continuous.AugmentedControlGradients[1].flatten()]),
                cat([discrete.AugmentedControlGradients[0].flatten(), discrete.AugmentedControlGradients[1].flatten()]));
        }).ToArray();
        double slope = ObservedOrder.Slope(steps.Select(m => layerWidth / m).ToArray(), differences);
        output.WriteLine($"{scheme}/{strategy}: differences {string.Join(", ", differences.Select(e => e.ToString("E2")))}, slope {slope:F3}");
        Assert.True(Math.Abs(slope - tableau.Order) <= 0.2, $"{scheme}/{strategy}: observed order {slope:F3}, expected {tableau.Order}");
    }
}
