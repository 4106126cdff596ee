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
using Xunit;

namespace RobustNode.Tests.Engines;

/// <summary>
/// The managed engine with two threads splits a large batch into row blocks swept on threads of their own and adds the
/// blocks' control sums in block order: its gradients equal the one-thread engine's to rounding (float64, 1e-12
/// relative), its per-sample results (p(0)) are the same rows, and two runs give bit-identical results.
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
