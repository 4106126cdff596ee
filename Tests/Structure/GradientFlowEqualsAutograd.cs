using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Oracles;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// The closed forms of the gradient-flow field s_k A_kᵀσ(A_k x + b_k) are the derivatives of the discretized network:
/// J, ∇_A J, ∇_b J and p(0) equal reverse-mode autograd, and the augmented gradient equals double backpropagation, in
/// float64 to 1e-10 (1e-9 for the second order), for every activation, both directions, m ≠ d and several tableaux, on
/// TorchSharp and on the managed engine.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class GradientFlowEqualsAutograd
{
    private const double Tolerance = 1e-10;
    private const double Epsilon = 0.1;

    public static TheoryData<string, string, int, LossKind, string> Cases()
    {
        var data = new TheoryData<string, string, int, LossKind, string>();
        foreach (var (scheme, activation, rows, loss) in new[]
                 {
                     ("euler", "tanh", 3, LossKind.CrossEntropy), ("euler", "relu", 6, LossKind.CrossEntropy), ("euler", "softplus", 1, LossKind.Square),
                     ("rk4", "tanh", 5, LossKind.Square), ("heun", "sigmoid", 4, LossKind.CrossEntropy), ("dopri5", "softplus", 2, LossKind.CrossEntropy),
                     ("midpoint", "identity", 3, LossKind.Square),
                 })
            foreach (var engine in new[] { OracleEngine.Torch, OracleEngine.Managed })
                data.Add(scheme, activation, rows, loss, engine);
        return data;
    }

    public static TheoryData<string, string, string, string> SecondOrderCases()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var (scheme, activation, q) in new[]
                 {
                     ("euler", "tanh", "inf"), ("euler", "relu", "2"), ("euler", "softplus", "1"), ("rk4", "tanh", "2"), ("ssprk3", "sigmoid", "inf"),
                     ("tsit5", "softplus", "2"),
                 })
            foreach (var engine in new[] { OracleEngine.Torch, OracleEngine.Managed })
                data.Add(scheme, activation, q, engine);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Discrete_adjoint_of_the_gradient_flow_field_equals_autograd(string scheme, string activation, int rows, LossKind loss, string engine)
    {
        using var scope = NewDisposeScope();
        var p = GradientFlowProblem.Draw(seed: 11 + rows, dim: 4, rows: rows, batch: 5, layers: 3, loss, Activation.ByName[activation]);
        var tableau = SolverCatalog.BuiltIn[scheme];
        var result = OracleEngine.Gradient(engine, p.Node.Problem(p.Field(), SolverCatalog.Fixed(tableau, 2)), AdjointMode.Discrete);
        var reference = Reference(p, scheme, 2, Epsilon, 2);

        Close.Equal(reference.Loss, result.Loss, Tolerance, "J");
        Close.Equal(reference.Gradients[0], result.ControlGradients[0], Tolerance, "∇_A J");
        Close.Equal(reference.Gradients[1], result.ControlGradients[1], Tolerance, "∇_b J");
        Close.Equal(reference.InputSensitivity, result.InputSensitivity, Tolerance, "p(0)");
    }

    [Theory]
    [MemberData(nameof(SecondOrderCases))]
    public void Second_order_adjoint_of_the_gradient_flow_field_equals_double_backprop(string scheme, string activation, string q, string engine)
    {
        using var scope = NewDisposeScope();
        var norm = AttackNorm.Parse(q)!;
        var p = GradientFlowProblem.Draw(seed: 29, dim: 3, rows: 5, batch: 4, layers: 3, LossKind.CrossEntropy, Activation.ByName[activation]);
        var tableau = SolverCatalog.BuiltIn[scheme];
        var result = OracleEngine.AugmentedGradient(engine, p.Node.Problem(p.Field(), SolverCatalog.Fixed(tableau, 1)), new AugmentedLoss(Epsilon, norm),
            AdjointMode.Discrete);
        var reference = Reference(p, scheme, 1, Epsilon, norm.Q);

        Close.Equal(reference.AugmentedLoss, result.AugmentedLoss, 1e-9, "𝒥");
        Close.Equal(reference.AugmentedGradients[0], result.AugmentedControlGradients[0], 1e-9, "∇_A 𝒥");
        Close.Equal(reference.AugmentedGradients[1], result.AugmentedControlGradients[1], 1e-9, "∇_b 𝒥");
        Close.Equal(reference.Gradients[0], result.FirstOrder.ControlGradients[0], Tolerance, "∇_A J");

        // A training step's combined sweep (no stage forms the first-order sums).
        var step = OracleEngine.AugmentedGradient(engine, p.Node.Problem(p.Field(), SolverCatalog.Fixed(tableau, 1)), new AugmentedLoss(Epsilon, norm),
            AdjointMode.Discrete, trainingStep: true);
        Close.Equal(reference.AugmentedGradients[0], step.AugmentedControlGradients[0], 1e-9, "∇_A 𝒥, training step");
        Close.Equal(reference.AugmentedGradients[1], step.AugmentedControlGradients[1], 1e-9, "∇_b 𝒥, training step");
    }

    [Theory]
    [InlineData("euler", "tanh")]
    [InlineData("rk4", "softplus")]
    public void Control_tangent_of_the_gradient_flow_field_equals_autograd(string scheme, string activation)
    {
        // ⟨∇J, (δx₀, η)⟩ from autograd equals the forward sensitivity along (δx₀, η), which uses the field's ControlJvp.
        using var scope = NewDisposeScope();
        var p = GradientFlowProblem.Draw(seed: 37, dim: 3, rows: 4, batch: 4, layers: 2, LossKind.CrossEntropy, Activation.ByName[activation]);
        using var g = new Generator(5);
        Tensor[] eta = [Gaussian.Like(g, p.A), Gaussian.Like(g, p.B)];
        var dx0 = Gaussian.Like(g, p.Node.X0);
        var tableau = SolverCatalog.BuiltIn[scheme];
        var tangent = Sensitivities.Tangent(p.Node.Problem(p.Field(), SolverCatalog.Fixed(tableau, 1)), dx0, eta).Ok();
        var reference = Reference(p, scheme, 1, Epsilon, 2);
        double expected = (reference.Gradients[0] * eta[0]).sum().item<double>() + (reference.Gradients[1] * eta[1]).sum().item<double>()
            + (reference.InputSensitivity * dx0).sum().item<double>() / p.Node.Batch;
        Close.Equal(expected, tangent.DirectionalDerivative, Tolerance, "⟨∇J, (δx₀, η)⟩");
    }

    internal static ReferenceDerivatives Reference(GradientFlowProblem p, string scheme, int stepsPerLayer, double epsilon, double q) =>
        DoubleBackprop.Compute(
            (u, x0) => AutogradRungeKutta.Solve(SolverCatalog.BuiltIn[scheme], p.Reference(u[0], u[1]), x0, p.Layers, stepsPerLayer, p.Node.FinalTime),
            p.Node.PerSample, [p.A, p.B], p.Node.X0, epsilon, q);
}
