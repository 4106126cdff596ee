using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Oracles;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// The discrete second-order adjoint (DESIGN §1, four sweeps through the stages) is the exact gradient of the
/// discretized augmented loss 𝒥 = mean ᵢ[ℓᵢ + ε‖∇_{x₀ᵢ}ℓᵢ‖_{q*}]: it equals double backpropagation through the same
/// Runge–Kutta recursion — p(0) by autograd with <c>create_graph</c>, then 𝒥, then ∇_u 𝒥 — for every tableau,
/// both losses and q ∈ {∞, 2, 1}, every activation, on TorchSharp and on the managed engine (function fields: TorchSharp only).
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class SecondOrderAdjointEqualsDoubleBackprop
{
    private const double Tolerance = 1e-9;
    private const double Epsilon = 0.1;

    public static TheoryData<string, LossKind, string, string> Schemes()
    {
        var data = new TheoryData<string, LossKind, string, string>();
        foreach (var tableau in Tableaux.All)
            foreach (var loss in new[] { LossKind.CrossEntropy, LossKind.Square })
                foreach (var q in new[] { "inf", "2", "1" })
                    foreach (var engine in new[] { OracleEngine.Torch, OracleEngine.Managed })
                        data.Add(tableau.Name, loss, q, engine);
        return data;
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Second_order_adjoint_equals_double_backprop(string scheme, LossKind loss, string q, string engine)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var norm = AttackNorm.Parse(q)!;
        int stepsPerLayer = scheme.Length % 2 + 1; // one or two steps per layer, varying across schemes
        var p = NodeProblem.Draw(seed: 41, dim: 4, batch: 5, layers: 3, loss);
        var result = OracleEngine.AugmentedGradient(engine, p.Problem(SolverCatalog.Fixed(tableau, stepsPerLayer)), new AugmentedLoss(Epsilon, norm),
            AdjointMode.Discrete);
        var reference = DiscreteAdjointEqualsAutograd.Reference(p, tableau, stepsPerLayer, Epsilon, norm.Q);

        Close.Equal(reference.AugmentedLoss, result.AugmentedLoss, Tolerance, "𝒥");
        Close.Equal(reference.AugmentedGradients[0], result.AugmentedControlGradients[0], Tolerance, "∇_W 𝒥");
        Close.Equal(reference.AugmentedGradients[1], result.AugmentedControlGradients[1], Tolerance, "∇_b 𝒥");
        Close.Equal(reference.Gradients[0], result.FirstOrder.ControlGradients[0], Tolerance, "∇_W J");
        Close.Equal(reference.InputSensitivity, result.FirstOrder.InputSensitivity, Tolerance, "p(0)");

        // A training step's combined sweep (no stage forms the first-order sums).
        var step = OracleEngine.AugmentedGradient(engine, p.Problem(SolverCatalog.Fixed(tableau, stepsPerLayer)), new AugmentedLoss(Epsilon, norm),
            AdjointMode.Discrete, trainingStep: true);
        Close.Equal(reference.AugmentedGradients[0], step.AugmentedControlGradients[0], Tolerance, "∇_W 𝒥, training step");
        Close.Equal(reference.AugmentedGradients[1], step.AugmentedControlGradients[1], Tolerance, "∇_b 𝒥, training step");
    }

    public static TheoryData<string, string> Activations()
    {
        var data = new TheoryData<string, string>();
        foreach (var activation in new[] { "tanh", "sigmoid", "softplus", "relu", "identity" })
            foreach (var engine in new[] { OracleEngine.Torch, OracleEngine.Managed })
                data.Add(activation, engine);
        return data;
    }

    // Every activation: where σ' and σ'' are functions of σ (all but softplus) the forward solve keeps σ(Xᵢ) alone, not
    // Xᵢ, and every later sweep restores the stage from it; softplus keeps Xᵢ, σ and σ'.
    [Theory]
    [MemberData(nameof(Activations))]
    public void Second_order_adjoint_equals_double_backprop_for_every_activation(string activation, string engine)
    {
        using var scope = NewDisposeScope();
        var tableau = Tableaux.Rk4;
        var norm = AttackNorm.Infinity;
        var p = NodeProblem.Draw(seed: 53, dim: 4, batch: 5, layers: 3, LossKind.CrossEntropy, scale: 1.5);
        var sigma = Activation.ByName[activation];
        var field = NeuralOdeField.Create(p.Weights, p.Biases, p.FinalTime, sigma).Ok();
        var reference = DoubleBackprop.Compute(
            (u, x0) => AutogradRungeKutta.Solve(tableau, (k, _, x) => TorchActivation.Apply(sigma, x).matmul(u[0][k].t()) + u[1][k], x0, p.Layers, 1, p.FinalTime),
            p.PerSample, [p.Weights, p.Biases], p.X0, Epsilon, norm.Q);

        var result = OracleEngine.AugmentedGradient(engine, p.Problem(field, SolverCatalog.Fixed(tableau, 1)), new AugmentedLoss(Epsilon, norm),
            AdjointMode.Discrete);
        Close.Equal(reference.AugmentedLoss, result.AugmentedLoss, Tolerance, "𝒥");
        Close.Equal(reference.AugmentedGradients[0], result.AugmentedControlGradients[0], Tolerance, "∇_W 𝒥");
        Close.Equal(reference.AugmentedGradients[1], result.AugmentedControlGradients[1], Tolerance, "∇_b 𝒥");
        Close.Equal(reference.Gradients[0], result.FirstOrder.ControlGradients[0], Tolerance, "∇_W J");
        Close.Equal(reference.InputSensitivity, result.FirstOrder.InputSensitivity, Tolerance, "p(0)");
        var step = OracleEngine.AugmentedGradient(engine, p.Problem(field, SolverCatalog.Fixed(tableau, 1)), new AugmentedLoss(Epsilon, norm),
            AdjointMode.Discrete, trainingStep: true);
        Close.Equal(reference.AugmentedGradients[0], step.AugmentedControlGradients[0], Tolerance, "∇_W 𝒥, training step");
        Close.Equal(reference.AugmentedGradients[1], step.AugmentedControlGradients[1], Tolerance, "∇_b 𝒥, training step");
    }

    // A function field is a TorchSharp closure differentiated by autograd: it runs on TorchSharp only, not on the managed engine.
    [Theory]
    [InlineData("euler", LossKind.CrossEntropy, "inf")]
    [InlineData("heun", LossKind.Square, "2")]
    [InlineData("rk4", LossKind.CrossEntropy, "1")]
    [InlineData("dopri5", LossKind.Square, "inf")]
    public void Second_order_adjoint_of_a_function_field_equals_double_backprop(string scheme, LossKind loss, string q)
    {
        // The fallback's SecondOrderVjp (one double backward of (g_xᵀp)·s on a single evaluation) in place of the closed forms.
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var norm = AttackNorm.Parse(q)!;
        var p = NodeProblem.Draw(seed: 43, dim: 3, batch: 4, layers: 2, loss);
        var result = Sensitivities.AugmentedGradient(p.Problem(p.FunctionField(), SolverCatalog.Fixed(tableau, 2)), new AugmentedLoss(Epsilon, norm),
            AdjointMode.Discrete).Ok();
        var reference = DiscreteAdjointEqualsAutograd.Reference(p, tableau, 2, Epsilon, norm.Q);

        Close.Equal(reference.AugmentedLoss, result.AugmentedLoss, Tolerance, "𝒥");
        Close.Equal(reference.AugmentedGradients[0], result.AugmentedControlGradients[0], Tolerance, "∇_W 𝒥");
        Close.Equal(reference.AugmentedGradients[1], result.AugmentedControlGradients[1], Tolerance, "∇_b 𝒥");
    }

    [Theory]
    [InlineData("euler", "inf", OracleEngine.Torch)]
    [InlineData("rk4", "2", OracleEngine.Torch)]
    [InlineData("tsit5", "1", OracleEngine.Torch)]
    [InlineData("euler", "inf", OracleEngine.Managed)]
    [InlineData("rk4", "2", OracleEngine.Managed)]
    [InlineData("tsit5", "1", OracleEngine.Managed)]
    public void Second_order_adjoint_of_the_linear_field_equals_double_backprop(string scheme, string q, string engine)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var norm = AttackNorm.Parse(q)!;
        var p = NodeProblem.Draw(seed: 47, dim: 3, batch: 4, layers: 1, LossKind.CrossEntropy);
        using var g = new Generator(3);
        var a = randn([3, 3], dtype: float64, generator: g).mul_(0.7);
        const int layers = 2;
        var field = LinearField.Create(a, 1.0, layers).Ok();
        var result = OracleEngine.AugmentedGradient(engine, p.Problem(field, SolverCatalog.Fixed(tableau, 2)), new AugmentedLoss(Epsilon, norm),
            AdjointMode.Discrete);
        var reference = DoubleBackprop.Compute(
            (u, x0) => AutogradRungeKutta.Solve(tableau, AutogradRungeKutta.Linear(u[0]), x0, layers, 2, 1.0),
            p.PerSample, [a], p.X0, Epsilon, norm.Q);

        Close.Equal(reference.AugmentedLoss, result.AugmentedLoss, Tolerance, "𝒥");
        Close.Equal(reference.AugmentedGradients[0], result.AugmentedControlGradients[0], Tolerance, "∇_A 𝒥");
        var step = OracleEngine.AugmentedGradient(engine, p.Problem(field, SolverCatalog.Fixed(tableau, 2)), new AugmentedLoss(Epsilon, norm),
            AdjointMode.Discrete, trainingStep: true);
        Close.Equal(reference.AugmentedGradients[0], step.AugmentedControlGradients[0], Tolerance, "∇_A 𝒥, training step");
    }
}
