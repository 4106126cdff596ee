using RobustNode.Core.Engines;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Oracles;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// Any penalty Ψ of the input sensitivities, by the same four sweeps (DESIGN §5): seeds v = ∂Ψ/∂p(0) give
/// ∇_u Σᵢ⟨vᵢ, pᵢ(0)⟩ through one tangent and one second-order reverse sweep per input batch. The augmented loss is the
/// seed v = ∇‖p(0)‖_{q*}; other penalties and several inputs agree with double backpropagation, on TorchSharp and on the
/// managed engine.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class SeededGradientsEqualDoubleBackprop
{
    private const double Tolerance = 1e-9;
    private static readonly TorchEngine E = TorchEngine.Instance;

    public static TheoryData<string> Engines() => OracleEngine.Names();

    [Theory]
    [InlineData("euler", LossKind.CrossEntropy, "inf")]
    [InlineData("rk4", LossKind.Square, "2")]
    [InlineData("dopri5", LossKind.CrossEntropy, "1")]
    public void The_augmented_gradient_is_the_seed_of_the_dual_norm_gradient(string scheme, LossKind loss, string q)
    {
        using var scope = NewDisposeScope();
        const double epsilon = 0.2;
        var norm = AttackNorm.Parse(q)!;
        var p = NodeProblem.Draw(seed: 13, dim: 4, batch: 5, layers: 3, loss);
        var problem = p.Problem(SolverCatalog.Fixed(SolverCatalog.BuiltIn[scheme], 2));
        var block = RobustNode.Sensitivity.Sensitivities.Block(problem);
        var augmented = LossDerivatives.AugmentedGradient(block, p.X0, problem.Loss, new AugmentedLoss(epsilon, norm)).Ok();
        var seeded = LossDerivatives.SeededGradient(block, p.X0, problem.Loss, p0 => E.DualNormGradient(norm, p0)).Ok();

        var first = seeded.Inputs[0];
        Assert.Equal(augmented.FirstOrder.Loss, first.Loss);
        Assert.Equal(augmented.FirstOrder.InputSensitivity.data<double>().ToArray(), first.InputSensitivity.data<double>().ToArray());
        double penalty = E.Mean(E.DualNorm(norm, first.InputSensitivity));
        Assert.Equal(augmented.AugmentedLoss, first.Loss + epsilon * penalty);
        for (int j = 0; j < 2; j++)
        {
            Assert.Equal(augmented.FirstOrder.ControlGradients[j].data<double>().ToArray(), first.ControlGradients[j].data<double>().ToArray());
            var combined = first.ControlGradients[j] + seeded.PenaltyGradients[j] * (epsilon / p.Batch);
            Close.Equal(augmented.AugmentedControlGradients[j], combined, 1e-14, $"∇𝒥 from the seeded sweeps, control {j}");
        }
    }

    public static TheoryData<string, LossKind, string> SquaredCases()
    {
        var data = new TheoryData<string, LossKind, string>();
        foreach (var (scheme, loss) in new[] { ("euler", LossKind.CrossEntropy), ("rk4", LossKind.Square), ("tsit5", LossKind.CrossEntropy) })
            foreach (var engine in new[] { OracleEngine.Torch, OracleEngine.Managed })
                data.Add(scheme, loss, engine);
        return data;
    }

    [Theory]
    [MemberData(nameof(SquaredCases))]
    public void Half_the_squared_input_sensitivity_equals_double_backprop(string scheme, LossKind loss, string engine)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var p = NodeProblem.Draw(seed: 19, dim: 3, batch: 4, layers: 2, loss);
        var problem = p.Problem(SolverCatalog.Fixed(tableau, 1));
        // Ψ = ½ Σᵢ |pᵢ(0)|²: the seed is p(0) itself.
        var seeded = OracleEngine.On(engine, new Seeded(problem, [p.X0], Swap: false));
        var reference = Penalty(p, tableau, [p.X0], p0 => 0.5 * p0[0].square().sum());

        Close.Equal(reference[0], seeded[0], Tolerance, "∇_W Ψ");
        Close.Equal(reference[1], seeded[1], Tolerance, "∇_b Ψ");
    }

    /// <summary>The penalty gradient on an engine with the seeds v⁽ᵃ⁾ = p⁽ᵃ⁾(0), or with the two inputs' sensitivities swapped.</summary>
    private sealed record Seeded(SensitivityProblem<Tensor> Problem, Tensor[] Inputs, bool Swap) : IOracleUser<Tensor[]>
    {
        public Tensor[] Use<T>(IEngine<T> e, Func<SensitivityProblem<Tensor>, SensitivityProblem<T>> transfer)
        {
            var problem = transfer(Problem);
            var inputs = Inputs.Select(x => e.FromTensor(x)).ToArray();
            var seeded = LossDerivatives.SeededGradient(RobustNode.Sensitivity.Sensitivities.Block(problem), inputs, problem.Loss,
                p0 => Swap ? [e.Clone(p0[1]), e.Clone(p0[0])] : p0.Select(e.Clone).ToArray()).Ok();
            Assert.Equal(inputs.Length, seeded.Inputs.Count);
            return seeded.PenaltyGradients.Select(g => e.ToTensor(g)).ToArray();
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void Penalties_of_two_input_batches_add_one_pair_of_sweeps_each(string engine)
    {
        using var scope = NewDisposeScope();
        var tableau = Tableaux.Rk4;
        var p = NodeProblem.Draw(seed: 29, dim: 3, batch: 4, layers: 2, LossKind.CrossEntropy);
        using var g = new Generator(3);
        var shifted = p.X0 + 0.1 * Gaussian.Like(g, p.X0);
        var problem = p.Problem(SolverCatalog.Fixed(tableau, 1));
        // GradAlign's form: Ψ = Σᵢ ⟨p(x)ᵢ, p(x̃)ᵢ⟩, whose seeds are each other's input sensitivity.
        var seeded = OracleEngine.On(engine, new Seeded(problem, [p.X0, shifted], Swap: true));
        var reference = Penalty(p, tableau, [p.X0, shifted], p0 => (p0[0] * p0[1]).sum());

        Close.Equal(reference[0], seeded[0], Tolerance, "∇_W Ψ");
        Close.Equal(reference[1], seeded[1], Tolerance, "∇_b Ψ");
    }

    [Fact]
    public void A_seed_of_the_wrong_shape_is_an_error_value()
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 2, dim: 3, batch: 4, layers: 2, LossKind.Square);
        var problem = p.Problem(SolverCatalog.Fixed(Tableaux.Euler));
        var result = LossDerivatives.SeededGradient(RobustNode.Sensitivity.Sensitivities.Block(problem), p.X0, problem.Loss, _ => zeros(4, 2, dtype: float64));
        Assert.True(result.IsFail);
        Assert.Contains("seeds[0]", result.Match(_ => "", e => e.Message));
    }

    // ∇_u Ψ(p⁽¹⁾(0), …) with p⁽ᵃ⁾(0) = ∇_{x⁽ᵃ⁾} Σℓ by double backpropagation through the autograd Runge–Kutta recursion.
    private static Tensor[] Penalty(NodeProblem p, RobustNode.Core.Tableaux.ButcherTableau tableau, Tensor[] inputs, Func<Tensor[], Tensor> psi)
    {
        using var enable = enable_grad();
        var u = new[] { p.Weights.detach().clone().requires_grad_(true), p.Biases.detach().clone().requires_grad_(true) };
        var p0 = inputs.Select(x0 =>
        {
            var x = x0.detach().clone().requires_grad_(true);
            var xT = AutogradRungeKutta.Solve(tableau, AutogradRungeKutta.NeuralOde(u[0], u[1]), x, p.Layers, 1, p.FinalTime);
            return autograd.grad([p.PerSample(xT).sum()], [x], create_graph: true, retain_graph: true)[0];
        }).ToArray();
        return autograd.grad([psi(p0)], u).Select(t => t.detach()).ToArray();
    }
}
