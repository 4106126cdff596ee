using FsCheck.Xunit;
using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Engines.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// The dense gradient-flow field is written once over the engine's kernels: on the managed engine its loss, control
/// gradients, input sensitivity, final state (first order) and augmented loss with its control gradients (second order,
/// q ∈ {∞, 2, 1}) equal TorchSharp's to 1e-12 in float64, for every tableau, activation, mixed directions and m ≠ d rows,
/// by the discrete and the stored continuous adjoint; its step-rule projection gives the same clipped matrices on both.
/// </summary>
public sealed class GradientFlowOnManagedEqualsTorch
{
    private const double Tolerance = 1e-12;
    private readonly ManagedEngine<double> _managed = new();

    [Property(MaxTest = 20)]
    public void First_and_second_order_sweeps_on_managed_equal_torch(int seed)
    {
        var r = new Random(seed);
        int d = r.Next(2, 6), m = r.Next(1, 8), batch = r.Next(1, 7), layers = r.Next(1, 4);
        var tableau = Tableaux.All[r.Next(Tableaux.All.Count)];
        var activation = Activation.ByName.Values.ElementAt(r.Next(Activation.ByName.Count));
        var directions = Enumerable.Range(0, layers).Select(_ => r.Next(2) == 0 ? FlowDirection.Contractive : FlowDirection.Expansive).ToArray();
        var norm = new[] { AttackNorm.Infinity, AttackNorm.Two, AttackNorm.One }[r.Next(3)];
        double epsilon = 0.05 + 0.2 * r.NextDouble();
        string what = $"{tableau.Name}, {activation.Name}, {string.Join("/", directions.Select(x => x.Name()))}, q = {norm}, d = {d}, m = {m}, B = {batch}";

        using var torchScope = NewDisposeScope();
        using var managedScope = _managed.OpenScope();
        var w = ManagedComparison<double>.Normal(r, layers, m, d).Times(0.7 / Math.Sqrt(d));
        var b = ManagedComparison<double>.Normal(r, layers, m).Times(0.3);
        var x0 = ManagedComparison<double>.Normal(r, batch, d);
        var labels = ManagedComparison<double>.Labels(r, batch, d);
        var solver = SolverCatalog.Fixed(tableau, 1);

        SensitivityProblem<T> Problem<T>(IEngine<T> e)
        {
            var field = GradientFlowField.Create(e, e.FromTensor(w), e.FromTensor(b), 1.0, activation, directions)
                .Match(f => f, errors => throw new InvalidOperationException(errors.Head.Message));
            return SensitivityProblem.Create(field, e.FromTensor(x0), new CrossEntropyLoss<T>(e, e.FromTensor(labels)), solver);
        }

        var onTorch = Problem(TorchEngine.Instance);
        var onManaged = Problem(_managed);
        foreach (var adjoint in new IAdjointMethod[] { AdjointMode.Discrete, AdjointMode.Stored })
        {
            var expected = Sensitivities.AugmentedGradient(onTorch, new AugmentedLoss(epsilon, norm), adjoint).Match(g => g, e => throw new InvalidOperationException(e.Message));
            var actual = Sensitivities.AugmentedGradient(onManaged, new AugmentedLoss(epsilon, norm), adjoint).Match(g => g, e => throw new InvalidOperationException($"{what}: {e.Message}"));
            Same(expected.FirstOrder.Loss, actual.FirstOrder.Loss, $"{what}: J");
            Same(expected.AugmentedLoss, actual.AugmentedLoss, $"{what}: 𝒥");
            Same(expected.FirstOrder.FinalState, actual.FirstOrder.FinalState, $"{what}: x(T)");
            Same(expected.FirstOrder.InputSensitivity, actual.FirstOrder.InputSensitivity, $"{what}: p(0)");
            for (int j = 0; j < 2; j++)
            {
                Same(expected.FirstOrder.ControlGradients[j], actual.FirstOrder.ControlGradients[j], $"{what}: ∇_u{j} J");
                Same(expected.AugmentedControlGradients[j], actual.AugmentedControlGradients[j], $"{what}: ∇_u{j} 𝒥");
            }
            var first = Sensitivities.Gradient(onManaged, adjoint).Match(g => g, e => throw new InvalidOperationException($"{what}: {e.Message}"));
            Same(expected.FirstOrder.ControlGradients[0], first.ControlGradients[0], $"{what}: ∇_A J (first order alone)");
        }
    }

    [Property(MaxTest = 15)]
    public void The_step_rule_projection_on_managed_equals_torch(int seed)
    {
        var r = new Random(seed);
        int d = r.Next(1, 6), m = r.Next(1, 7), layers = r.Next(1, 4);
        using var torchScope = NewDisposeScope();
        using var managedScope = _managed.OpenScope();
        var w = ManagedComparison<double>.Normal(r, layers, m, d).Times(0.5 + 2 * r.NextDouble());
        var b = ManagedComparison<double>.Normal(r, layers, m);
        double h = 0.2 + r.NextDouble();
        var onTorch = GradientFlowField.Create(w.clone(), b, 1.0, Activation.Tanh, [FlowDirection.Contractive]).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        var onManaged = GradientFlowField.Create(_managed, _managed.FromTensor(w), _managed.FromTensor(b), 1.0, Activation.Tanh, [FlowDirection.Contractive])
            .Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        onTorch.Constrain(h);
        onManaged.Constrain(h);
        Same(onTorch.Weights, onManaged.Weights, "clipped A");
        Assert.All(onManaged.Check(h), c => Assert.True(c.Value <= c.Budget, $"layer {c.Layer}: h·L = {c.Value:R} above {c.Budget:R}"));
    }

    private static void Same(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: managed {actual:R}, torch {expected:R}");

    private void Same(Tensor expected, ManagedTensor<double> actual, string what)
    {
        Assert.Equal(expected.shape, actual.Shape.ToArray());
        var e = expected.contiguous().data<double>().ToArray();
        var a = _managed.ToArray(actual);
        double scale = e.Select(Math.Abs).DefaultIfEmpty(0).Max(), worst = e.Zip(a, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
        Assert.True(worst <= Tolerance * Math.Max(scale, 1e-300), $"{what}: largest difference {worst:E2}, largest element {scale:E2}");
    }
}
