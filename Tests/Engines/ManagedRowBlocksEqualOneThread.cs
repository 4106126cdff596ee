using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using Xunit;

namespace RobustNode.Tests.Engines;

/// <summary>
/// The managed engine with two threads splits a large batch into row blocks swept on threads of their own and adds the
/// blocks' control sums in block order: its gradients equal the one-thread engine's to rounding (float64, 1e-12
/// relative), its per-sample results (p(0)) are the same rows, and two runs give bit-identical results; so does a
/// training step's combined second-order sweep, which also equals the separate sweeps' ∇𝒥 — whether a gradient's sweeps
/// run on the blocks in one hand-off (a loss whose rows are independent) or one by one (a seeded penalty).
/// </summary>
public sealed class ManagedRowBlocksEqualOneThread
{
    private const int Batch = 1100, Dim = 4, Layers = 3;

    [Theory]
    [InlineData("discrete")]
    [InlineData("backsolve")]
    public void Two_threads_give_the_one_thread_gradients(string mode)
    {
        var adjoint = mode == "discrete" ? (IAdjointMethod)AdjointMode.Discrete : AdjointMode.Backsolve;
        var one = new ManagedEngine<double>(1);
        var two = new ManagedEngine<double>(2);
        Assert.Equal(1, ((IRowBlocks)one).RowBlocks(Batch));
        Assert.Equal(2, ((IRowBlocks)two).RowBlocks(Batch));
        Assert.Equal(1, ((IRowBlocks)two).RowBlocks(256));
        var loss = new AugmentedLoss(0.1, AttackNorm.Infinity);
        using var s1 = one.OpenScope();
        var (p1, p2) = (Problem(one), Problem(two));

        var g1 = Sensitivities.Gradient(p1, adjoint).Match(g => g, e => throw new InvalidOperationException(e.Message));
        var g2 = Sensitivities.Gradient(p2, adjoint).Match(g => g, e => throw new InvalidOperationException(e.Message));
        Close(one, g1.ControlGradients, two, g2.ControlGradients, "first-order gradient");
        Close(one, [g1.InputSensitivity], two, [g2.InputSensitivity], "p(0)");
        Assert.Equal(g1.Loss, g2.Loss, 12);

        var a1 = Sensitivities.AugmentedGradient(p1, loss, adjoint).Match(g => g, e => throw new InvalidOperationException(e.Message));
        var a2 = Sensitivities.AugmentedGradient(p2, loss, adjoint).Match(g => g, e => throw new InvalidOperationException(e.Message));
        var again = Sensitivities.AugmentedGradient(p2, loss, adjoint).Match(g => g, e => throw new InvalidOperationException(e.Message));
        Close(one, a1.AugmentedControlGradients, two, a2.AugmentedControlGradients, "augmented gradient");
        Assert.Equal(a1.AugmentedLoss, a2.AugmentedLoss, 12);
        for (int j = 0; j < a2.AugmentedControlGradients.Count; j++)
            Assert.Equal(two.ToArray(a2.AugmentedControlGradients[j]), two.ToArray(again.AugmentedControlGradients[j]));

        // A training step's combined sweep: the same ∇𝒥 on the row blocks as on one thread and as the separate sweeps.
        var c1 = Sensitivities.AugmentedControlGradient(p1, loss, adjoint).Match(g => g, e => throw new InvalidOperationException(e.Message));
        var c2 = Sensitivities.AugmentedControlGradient(p2, loss, adjoint).Match(g => g, e => throw new InvalidOperationException(e.Message));
        Close(one, c1.AugmentedControlGradients, two, c2.AugmentedControlGradients, "combined augmented gradient");
        Close(one, a1.AugmentedControlGradients, two, c2.AugmentedControlGradients, "combined against separate sweeps");
        Assert.Equal(a1.AugmentedLoss, c2.AugmentedLoss, 12);

        // A seeded penalty (whose seeds the caller forms from the whole batch) has each sweep handed to the blocks apart.
        var seeded1 = LossDerivatives.SeededGradient(Sensitivities.Block(p1, adjoint), p1.X0, p1.Loss, p => one.Scale(p, 2.0))
            .Match(g => g, e => throw new InvalidOperationException(e.Message));
        var seeded2 = LossDerivatives.SeededGradient(Sensitivities.Block(p2, adjoint), p2.X0, p2.Loss, p => two.Scale(p, 2.0))
            .Match(g => g, e => throw new InvalidOperationException(e.Message));
        Close(one, seeded1.PenaltyGradients, two, seeded2.PenaltyGradients, "seeded penalty gradient");
        Close(one, seeded1.Inputs[0].ControlGradients, two, seeded2.Inputs[0].ControlGradients, "first-order gradient beside a seeded penalty");
    }

    private static void Close(ManagedEngine<double> e1, IReadOnlyList<ManagedTensor<double>> a, ManagedEngine<double> e2,
        IReadOnlyList<ManagedTensor<double>> b, string what)
    {
        Assert.Equal(a.Count, b.Count);
        for (int j = 0; j < a.Count; j++)
        {
            var (x, y) = (e1.ToArray(a[j]), e2.ToArray(b[j]));
            double scale = x.Max(Math.Abs);
            for (int i = 0; i < x.Length; i++)
                Assert.True(Math.Abs(x[i] - y[i]) <= 1e-12 * scale, $"{what}[{j}][{i}]: {y[i]:R} with two threads, {x[i]:R} with one");
        }
    }

    private static SensitivityProblem<ManagedTensor<double>> Problem(ManagedEngine<double> e) =>
        RandomNodeProblem.Create(e, Layers, Dim, Batch, seed: 5);
}
