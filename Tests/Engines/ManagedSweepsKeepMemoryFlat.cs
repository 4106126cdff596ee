using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using Xunit;
using Xunit.Abstractions;

namespace RobustNode.Tests.Engines;

/// <summary>
/// Long training-like loops of gradients on the managed engine: after warm-up, a gradient's heap allocation does not
/// depend on the number of solver steps (the sweeps allocate nothing per step: the tensors come from the thread's pool,
/// the stage workspaces are made once per sweep), it is the same at the end of the loop as at its start, and the pool
/// makes no new blocks (its memory is flat).
/// </summary>
public sealed class ManagedSweepsKeepMemoryFlat(ITestOutputHelper output)
{
    private readonly ManagedEngine<double> _e = new();

    [Fact]
    public void Ten_thousand_first_order_gradients_allocate_nothing_per_step_and_keep_the_pool_flat() =>
        Loop(augmented: false, iterations: 10_000);

    [Fact]
    public void Augmented_gradients_allocate_nothing_per_step_and_keep_the_pool_flat() =>
        Loop(augmented: true, iterations: 2_000);

    private void Loop(bool augmented, int iterations)
    {
        using var outer = _e.OpenScope();
        var shortProblem = Problem(layers: 2);
        var longProblem = Problem(layers: 6);
        var loss = new AugmentedLoss(0.1, AttackNorm.Infinity);
        void Gradient(SensitivityProblem<ManagedTensor<double>> problem)
        {
            using var scope = _e.OpenScope();
            bool ok = augmented ? Sensitivities.AugmentedGradient(problem, loss).IsSucc : Sensitivities.Gradient(problem).IsSucc;
            Assert.True(ok);
        }
        long Bytes(SensitivityProblem<ManagedTensor<double>> problem, int count)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < count; i++) Gradient(problem);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        for (int i = 0; i < 200; i++) { Gradient(shortProblem); Gradient(longProblem); }
        long blocks = CreatedBlocks();
        const int probe = 100;
        long shortFirst = Bytes(shortProblem, probe), longFirst = Bytes(longProblem, probe);
        for (int i = 0; i < iterations - 4 * probe; i++) Gradient(shortProblem);
        long shortLast = Bytes(shortProblem, probe), longLast = Bytes(longProblem, probe);
        output.WriteLine($"bytes per gradient: 2 layers {shortFirst / probe} then {shortLast / probe}, 6 layers {longFirst / probe} then {longLast / probe}");

        // Nothing per step: four more layers (16 more RK4 stages per sweep) allocate nothing more.
        Assert.True(longFirst == shortFirst, $"6 layers allocated {longFirst / probe} bytes per gradient, 2 layers {shortFirst / probe}");
        // Nothing that grows: no more bytes per gradient at the end of the loop than at its start.
        Assert.True(longLast <= longFirst && shortLast <= shortFirst, $"bytes per gradient grew: {shortFirst / probe} → {shortLast / probe}, {longFirst / probe} → {longLast / probe}");
        // Flat pool: every tensor of the loop reused a block made during warm-up.
        Assert.Equal(blocks, CreatedBlocks());
    }

    private SensitivityProblem<ManagedTensor<double>> Problem(int layers)
    {
        const int dim = 4, batch = 16;
        var random = new Random(11);
        double[] Normal(int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var field = NeuralOdeField.Create(_e, _e.FromValues(Normal(layers * dim * dim), default, layers, dim, dim),
            _e.FromValues(Normal(layers * dim), default, layers, dim), 1.0).Match(f => f, errors => throw new InvalidOperationException(errors.Head.Message));
        var labels = _e.FromValues(Enumerable.Range(0, batch).Select(i => (double)(i % dim)).ToArray(), default, batch);
        return SensitivityProblem.Create(field, _e.FromValues(Normal(batch * dim), default, batch, dim), new CrossEntropyLoss<ManagedTensor<double>>(_e, labels),
            SolverCatalog.Fixed(Tableaux.Rk4));
    }

    /// <summary>The blocks the calling thread's float64 pool has made so far.</summary>
    private static long CreatedBlocks()
    {
        var pool = typeof(ManagedEngine<double>).Assembly.GetType("RobustNode.Core.Engines.Managed.StoragePool`1")!.MakeGenericType(typeof(double));
        return (long)pool.GetProperty("Created")!.GetValue(pool.GetProperty("Current")!.GetValue(null))!;
    }
}
