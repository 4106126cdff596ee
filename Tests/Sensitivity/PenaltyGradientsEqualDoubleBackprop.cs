using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using RobustNode.Tests.Oracles;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// Functions of the outputs and the input sensitivities at several inputs (<see cref="LossDerivatives.PenaltyGradient{T}"/>):
/// an output cotangent added to the second-order sweep's μ(T) adds exactly its first-order adjoint, so
/// Ψ = Σ⟨v, p(x)⟩ + Σ⟨c, x(T)⟩ + Σ⟨c′, x′(T)⟩ equals double backpropagation; without sensitivities the method is a first-order
/// adjoint of any function of several outputs (on TorchSharp and on the managed engine); a seed without sensitivities and
/// cotangents of the wrong shape are error values.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class PenaltyGradientsEqualDoubleBackprop
{
    private const double Tolerance = 1e-9;
    private static readonly TorchEngine E = TorchEngine.Instance;

    public static TheoryData<string, string> Schemes()
    {
        var data = new TheoryData<string, string>();
        foreach (var scheme in new[] { "euler", "rk4", "dopri5" })
            foreach (var engine in new[] { OracleEngine.Torch, OracleEngine.Managed })
                data.Add(scheme, engine);
        return data;
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Seeds_and_output_cotangents_at_two_inputs_equal_double_backprop(string scheme, string engine)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var p = NodeProblem.Draw(seed: 41, dim: 3, batch: 4, layers: 2, LossKind.CrossEntropy);
        var problem = p.Problem(SolverCatalog.Fixed(tableau, 1));
        using var g = new Generator(5);
        var shifted = p.X0 + 0.2 * Gaussian.Like(g, p.X0);
        var (v, c, cShifted) = (Gaussian.Like(g, p.X0), Gaussian.Like(g, p.X0), Gaussian.Like(g, p.X0));
        var gradients = OracleEngine.On(engine, new SeedsAndCotangents(problem, [p.X0, shifted], v, c, cShifted));

        var reference = Reference(p, tableau, [p.X0, shifted], (xT, p0) => (v * p0[0]).sum() + (c * xT[0]).sum() + (cShifted * xT[1]).sum());
        Close.Equal(reference[0], gradients[0], Tolerance, "∇_W Ψ");
        Close.Equal(reference[1], gradients[1], Tolerance, "∇_b Ψ");
    }

    /// <summary>∇_u Ψ on an engine for the seed v and output cotangent c at the first input and the cotangent c′ at the second.</summary>
    private sealed record SeedsAndCotangents(SensitivityProblem<Tensor> Problem, Tensor[] Inputs, Tensor V, Tensor C, Tensor CShifted) : IOracleUser<Tensor[]>
    {
        public Tensor[] Use<T>(IEngine<T> e, Func<SensitivityProblem<Tensor>, SensitivityProblem<T>> transfer)
        {
            var problem = transfer(Problem);
            var block = RobustNode.Sensitivity.Sensitivities.Block(problem, AdjointMode.Discrete);
            var (v, c, cShifted) = (e.FromTensor(V), e.FromTensor(C), e.FromTensor(CShifted));
            var result = LossDerivatives.PenaltyGradient(block, Inputs.Select(x => e.FromTensor(x)).ToArray(), problem.Loss,
                (_, _) => [PenaltyTerms<T>.Of(v, c), PenaltyTerms<T>.OfOutput(cShifted)]).Ok();
            Assert.Equal(2, result.InputSensitivities.Count);
            Assert.Equal(2, result.FinalStates.Count);
            return result.Gradients.Select(x => e.ToTensor(x)).ToArray();
        }
    }

    [Fact]
    public void Without_sensitivities_it_is_the_first_order_adjoint_of_a_function_of_several_outputs()
    {
        using var scope = NewDisposeScope();
        var tableau = Tableaux.Rk4;
        var p = NodeProblem.Draw(seed: 43, dim: 3, batch: 5, layers: 3, LossKind.Square);
        var problem = p.Problem(SolverCatalog.Fixed(tableau, 1));
        var block = RobustNode.Sensitivity.Sensitivities.Block(problem);
        using var g = new Generator(6);
        var shifted = p.X0 + 0.2 * Gaussian.Like(g, p.X0);
        // Ψ = ½ Σ |x(T) − x′(T)|²: cotangents x(T) − x′(T) and its negative.
        var result = LossDerivatives.PenaltyGradient(block, [p.X0, shifted], problem.Loss,
            (xT, sensitivities) =>
            {
                Assert.Empty(sensitivities);
                var d = xT[0] - xT[1];
                return [PenaltyTerms<Tensor>.OfOutput(d), PenaltyTerms<Tensor>.OfOutput(-d)];
            }, sensitivities: false).Ok();
        var reference = Reference(p, tableau, [p.X0, shifted], (xT, _) => 0.5 * (xT[0] - xT[1]).square().sum());
        Close.Equal(reference[0], result.Gradients[0], Tolerance, "∇_W Ψ");
        Close.Equal(reference[1], result.Gradients[1], Tolerance, "∇_b Ψ");
        Assert.Empty(result.InputSensitivities);
    }

    [Fact]
    public void Terms_that_ask_for_nothing_give_a_zero_gradient()
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 2, dim: 3, batch: 2, layers: 2, LossKind.Square);
        var problem = p.Problem(SolverCatalog.Fixed(Tableaux.Euler));
        var result = LossDerivatives.PenaltyGradient(RobustNode.Sensitivity.Sensitivities.Block(problem), [p.X0], problem.Loss,
            (_, _) => [new PenaltyTerms<Tensor>(None, None)]).Ok();
        Assert.All(result.Gradients, t => Assert.Equal(0.0, t.abs().max().item<double>()));
        Assert.Equal(p.Weights.shape, result.Gradients[0].shape);
    }

    [Fact]
    public void A_seed_without_sensitivities_and_a_cotangent_of_the_wrong_shape_are_error_values()
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 3, dim: 3, batch: 4, layers: 2, LossKind.Square);
        var problem = p.Problem(SolverCatalog.Fixed(Tableaux.Euler));
        var block = RobustNode.Sensitivity.Sensitivities.Block(problem);
        var seedless = LossDerivatives.PenaltyGradient(block, [p.X0], problem.Loss, (_, _) => [PenaltyTerms<Tensor>.OfSeed(p.X0.clone())], sensitivities: false);
        Assert.Contains("sensitivities", seedless.Match(_ => "", e => e.Message));
        var misshapen = LossDerivatives.PenaltyGradient(block, [p.X0], problem.Loss, (_, _) => [PenaltyTerms<Tensor>.OfOutput(zeros(4, 2, dtype: float64))]);
        Assert.Contains("outputs[0]", misshapen.Match(_ => "", e => e.Message));
        var missing = LossDerivatives.PenaltyGradient(block, [p.X0, p.X0], problem.Loss, (_, _) => [PenaltyTerms<Tensor>.OfOutput(p.X0.clone())]);
        Assert.True(missing.IsFail);
    }

    // ∇_u Ψ(x⁽ᵃ⁾(T), p⁽ᵃ⁾(0)) by double backpropagation through the autograd Runge–Kutta recursion.
    private static Tensor[] Reference(NodeProblem p, ButcherTableau tableau, Tensor[] inputs, Func<Tensor[], Tensor[], Tensor> psi)
    {
        using var enable = enable_grad();
        var u = new[] { p.Weights.detach().clone().requires_grad_(true), p.Biases.detach().clone().requires_grad_(true) };
        var outputs = new Tensor[inputs.Length];
        var sensitivities = new Tensor[inputs.Length];
        for (int a = 0; a < inputs.Length; a++)
        {
            var x = inputs[a].detach().clone().requires_grad_(true);
            outputs[a] = AutogradRungeKutta.Solve(tableau, AutogradRungeKutta.NeuralOde(u[0], u[1]), x, p.Layers, 1, p.FinalTime);
            sensitivities[a] = autograd.grad([p.PerSample(outputs[a]).sum()], [x], create_graph: true, retain_graph: true)[0];
        }
        return autograd.grad([psi(outputs, sensitivities)], u).Select(t => t.detach()).ToArray();
    }
}
