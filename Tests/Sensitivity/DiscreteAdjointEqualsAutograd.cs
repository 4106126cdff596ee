using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using RobustNode.Tests.Oracles;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// The discrete adjoint is the exact gradient of the discretized network: for every built-in tableau with
/// fixed steps, J = mean ℓᵢ, ∇_W J, ∇_b J and p(0) = ∇_{x₀} Σℓᵢ equal reverse-mode autograd through the same
/// Runge–Kutta recursion (written out in <see cref="AutogradRungeKutta"/>) to rounding error, on TorchSharp and on the
/// managed engine (nODE and linear fields; function fields are TorchSharp closures and run there only).
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class DiscreteAdjointEqualsAutograd
{
    private const double Tolerance = 1e-10;

    public static TheoryData<string, LossKind, int, string> Schemes()
    {
        var data = new TheoryData<string, LossKind, int, string>();
        foreach (var tableau in Tableaux.All)
            foreach (var loss in new[] { LossKind.CrossEntropy, LossKind.Square })
                foreach (var steps in new[] { 1, 2 })
                    foreach (var engine in new[] { OracleEngine.Torch, OracleEngine.Managed })
                        data.Add(tableau.Name, loss, steps, engine);
        return data;
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Discrete_adjoint_equals_autograd(string scheme, LossKind loss, int stepsPerLayer, string engine)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var p = NodeProblem.Draw(seed: 17 + stepsPerLayer, dim: 4, batch: 5, layers: 3, loss);
        var result = OracleEngine.Gradient(engine, p.Problem(SolverCatalog.Fixed(tableau, stepsPerLayer)), AdjointMode.Discrete);
        var reference = Reference(p, tableau, stepsPerLayer);

        Close.Equal(reference.Loss, result.Loss, Tolerance, "J");
        Close.Equal(reference.Gradients[0], result.ControlGradients[0], Tolerance, "∇_W J");
        Close.Equal(reference.Gradients[1], result.ControlGradients[1], Tolerance, "∇_b J");
        Close.Equal(reference.InputSensitivity, result.InputSensitivity, Tolerance, "p(0) = ∇_{x₀} Σℓ");
    }

    [Theory]
    [InlineData("euler", 1, OracleEngine.Torch)]
    [InlineData("rk4", 2, OracleEngine.Torch)]
    [InlineData("dopri5", 1, OracleEngine.Torch)]
    [InlineData("euler", 1, OracleEngine.Managed)]
    [InlineData("rk4", 2, OracleEngine.Managed)]
    [InlineData("dopri5", 1, OracleEngine.Managed)]
    public void Discrete_adjoint_of_the_linear_field_equals_autograd(string scheme, int stepsPerLayer, string engine)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var p = NodeProblem.Draw(seed: 5, dim: 3, batch: 4, layers: 1, LossKind.Square);
        using var g = new Generator(99);
        var a = randn([3, 3], dtype: float64, generator: g).mul_(0.7);
        const int layers = 3;
        var field = LinearField.Create(a, 1.0, layers).Ok();
        var result = OracleEngine.Gradient(engine, p.Problem(field, SolverCatalog.Fixed(tableau, stepsPerLayer)), AdjointMode.Discrete);
        var reference = DoubleBackprop.Compute(
            (u, x0) => AutogradRungeKutta.Solve(tableau, AutogradRungeKutta.Linear(u[0]), x0, layers, stepsPerLayer, 1.0),
            p.PerSample, [a], p.X0, 0.1, 2);

        Close.Equal(reference.Loss, result.Loss, Tolerance, "J");
        Close.Equal(reference.Gradients[0], result.ControlGradients[0], Tolerance, "∇_A J");
        Close.Equal(reference.InputSensitivity, result.InputSensitivity, Tolerance, "p(0)");
    }

    // A function field is a TorchSharp closure differentiated by autograd: it runs on TorchSharp only, not on the managed engine.
    [Theory]
    [InlineData("euler", LossKind.CrossEntropy)]
    [InlineData("rk4", LossKind.Square)]
    [InlineData("tsit5", LossKind.CrossEntropy)]
    public void Discrete_adjoint_of_a_function_field_equals_autograd(string scheme, LossKind loss)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var p = NodeProblem.Draw(seed: 23, dim: 3, batch: 4, layers: 2, loss);
        var result = Sensitivities.Gradient(p.Problem(p.FunctionField(), SolverCatalog.Fixed(tableau, 2)), AdjointMode.Discrete).Ok();
        var reference = Reference(p, tableau, 2);

        Close.Equal(reference.Loss, result.Loss, Tolerance, "J");
        Close.Equal(reference.Gradients[0], result.ControlGradients[0], Tolerance, "∇_W J");
        Close.Equal(reference.Gradients[1], result.ControlGradients[1], Tolerance, "∇_b J");
        Close.Equal(reference.InputSensitivity, result.InputSensitivity, Tolerance, "p(0)");
    }

    // TorchSharp only, as above.
    [Theory]
    [InlineData("midpoint")]
    [InlineData("rk4")]
    [InlineData("dopri5")]
    public void Control_tangent_of_a_function_field_equals_autograd(string scheme)
    {
        // Forward sensitivity along a control direction η uses the fallback's ControlJvp (double-VJP trick):
        // ⟨∇_u J, η⟩ from autograd must equal the tangent's directional derivative.
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var p = NodeProblem.Draw(seed: 31, dim: 3, batch: 4, layers: 2, LossKind.CrossEntropy);
        using var g = new Generator(7);
        Tensor[] eta = [Gaussian.Like(g, p.Weights), Gaussian.Like(g, p.Biases)];
        var dx0 = Gaussian.Like(g, p.X0);
        var tangent = Sensitivities.Tangent(p.Problem(p.FunctionField(), SolverCatalog.Fixed(tableau, 1)), dx0, eta).Ok();
        var reference = Reference(p, tableau, 1);
        double expected = (reference.Gradients[0] * eta[0]).sum().item<double>() + (reference.Gradients[1] * eta[1]).sum().item<double>()
            + (reference.InputSensitivity * dx0).sum().item<double>() / p.Batch;
        Close.Equal(expected, tangent.DirectionalDerivative, Tolerance, "⟨∇J, (δx₀, η)⟩");
    }

    internal static ReferenceDerivatives Reference(NodeProblem p, ButcherTableau tableau, int stepsPerLayer, double epsilon = 0.1, double q = 2) =>
        DoubleBackprop.Compute(
            (u, x0) => AutogradRungeKutta.Solve(tableau, AutogradRungeKutta.NeuralOde(u[0], u[1]), x0, p.Layers, stepsPerLayer, p.FinalTime),
            p.PerSample, [p.Weights, p.Biases], p.X0, epsilon, q);
}
