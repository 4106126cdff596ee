using System.Numerics;
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

namespace RobustNode.Tests.Engines;

/// <summary>The generic sweeps give the same numbers on the managed engine as on TorchSharp: to 1e-12 in float64.</summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class ManagedSweepsEqualTorchInDouble() : ManagedSweepsEqualTorch<double>(1e-12);

/// <summary>The generic sweeps give the same numbers on the managed engine as on TorchSharp: to 1e-5 in float32.</summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class ManagedSweepsEqualTorchInSingle() : ManagedSweepsEqualTorch<float>(1e-5);

/// <summary>
/// The loss, its control gradients, the input sensitivity p(0), the final state, the augmented loss and its gradient
/// for q ∈ {∞, 2, 1}, by the discrete adjoint and the continuous adjoints (stored, checkpoint, backsolve), of random
/// neural ODEs (every built-in tableau, one or two steps per layer, every activation, cross-entropy with or without a
/// read-out, or the squared error), computed by the same generic code on the managed engine and on TorchSharp, from the
/// same numbers. Each result agrees within the tolerance relative to its largest element.
/// </summary>
public abstract class ManagedSweepsEqualTorch<TScalar>(double tolerance)
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    private readonly ManagedEngine<TScalar> _managed = new();

    private static readonly IAdjointMethod[] Adjoints = [AdjointMode.Discrete, AdjointMode.Stored, AdjointMode.Checkpoint, AdjointMode.Backsolve];

    [Property(MaxTest = 25)]
    public void Gradients_and_augmented_gradients_equal_torch(int seed)
    {
        var r = new Random(seed);
        int d = r.Next(2, 7), batch = r.Next(1, 9), layers = r.Next(1, 5), steps = r.Next(1, 3);
        var tableau = Tableaux.All[r.Next(Tableaux.All.Count)];
        var activation = Activation.ByName.Values.ElementAt(r.Next(Activation.ByName.Count));
        var norm = new[] { AttackNorm.Infinity, AttackNorm.Two, AttackNorm.One }[r.Next(3)];
        int loss = r.Next(3); // 0: cross-entropy on x(T), 1: cross-entropy through a read-out, 2: squared error
        double finalTime = 0.5 + r.NextDouble(), epsilon = 0.05 + 0.2 * r.NextDouble();
        string what = $"{tableau.Name}×{steps}, {activation.Name}, {(loss == 2 ? "square" : loss == 1 ? "cross-entropy with read-out" : "cross-entropy")}, " +
                      $"q = {norm}, d = {d}, B = {batch}, N = {layers}";

        using var torchScope = NewDisposeScope();
        using var managedScope = _managed.OpenScope();
        var w = ManagedComparison<TScalar>.Normal(r, layers, d, d).mul(0.8 / Math.Sqrt(d));
        var b = ManagedComparison<TScalar>.Normal(r, layers, d).mul(0.3);
        var x0 = ManagedComparison<TScalar>.Normal(r, batch, d);
        int classes = loss == 1 ? r.Next(2, 5) : d;
        var readout = ManagedComparison<TScalar>.Normal(r, classes, d);
        var labels = ManagedComparison<TScalar>.Labels(r, batch, classes);
        var targets = ManagedComparison<TScalar>.Normal(r, batch, d);
        var solver = SolverCatalog.Fixed(tableau, steps);

        SensitivityProblem<T> Problem<T>(IEngine<T> e)
        {
            var field = NeuralOdeField.Create(e, e.FromTensor(w), e.FromTensor(b), finalTime, activation)
                .Match(f => f, errors => throw new InvalidOperationException(errors.Head.Message));
            ILoss<T> objective = loss switch
            {
                0 => new CrossEntropyLoss<T>(e, e.FromTensor(labels)),
                1 => new CrossEntropyLoss<T>(e, e.FromTensor(labels), e.FromTensor(readout)),
                _ => new SquaredErrorLoss<T>(e, e.FromTensor(targets)),
            };
            return SensitivityProblem.Create(field, e.FromTensor(x0), objective, solver);
        }

        var onTorch = Problem(TorchEngine.Instance);
        var onManaged = Problem(_managed);
        var augmented = new AugmentedLoss(epsilon, norm);
        foreach (var adjoint in Adjoints)
        {
            string where = $"{what}, {AdjointMode.ByName.First(a => a.Value == adjoint).Key}";
            var expected = Sensitivities.AugmentedGradient(onTorch, augmented, adjoint).Match(g => g, e => throw new InvalidOperationException(e.Message));
            var actual = Sensitivities.AugmentedGradient(onManaged, augmented, adjoint).Match(g => g, e => throw new InvalidOperationException($"{where}: {e.Message}"));
            Same(expected.FirstOrder.Loss, actual.FirstOrder.Loss, $"{where}: J");
            Same(expected.AugmentedLoss, actual.AugmentedLoss, $"{where}: 𝒥");
            Same(expected.FirstOrder.FinalState, actual.FirstOrder.FinalState, $"{where}: x(T)");
            Same(expected.FirstOrder.InputSensitivity, actual.FirstOrder.InputSensitivity, $"{where}: p(0)");
            for (int j = 0; j < expected.AugmentedControlGradients.Count; j++)
            {
                Same(expected.FirstOrder.ControlGradients[j], actual.FirstOrder.ControlGradients[j], $"{where}: ∇_u{j} J");
                Same(expected.AugmentedControlGradients[j], actual.AugmentedControlGradients[j], $"{where}: ∇_u{j} 𝒥");
            }
            var first = Sensitivities.Gradient(onManaged, adjoint).Match(g => g, e => throw new InvalidOperationException($"{where}: {e.Message}"));
            Same(expected.FirstOrder.Loss, first.Loss, $"{where}: J (first order alone)");
            Same(expected.FirstOrder.ControlGradients[0], first.ControlGradients[0], $"{where}: ∇_W J (first order alone)");
        }
    }

    private void Same(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected), $"{what} [{typeof(TScalar).Name}]: managed {actual:R}, torch {expected:R}");

    private void Same(Tensor expected, ManagedTensor<TScalar> actual, string what)
    {
        Assert.Equal(expected.shape, actual.Shape.ToArray());
        var e = expected.to(float64).contiguous().data<double>().ToArray();
        var a = _managed.ToArray(actual);
        double scale = e.Max(Math.Abs), worst = e.Zip(a, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
        Assert.True(worst <= tolerance * scale, $"{what} [{typeof(TScalar).Name}]: largest difference {worst:E2}, largest element {scale:E2}");
    }
}
