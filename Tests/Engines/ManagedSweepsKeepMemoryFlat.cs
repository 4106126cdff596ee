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
    private const int ShortLayers = 2, LongLayers = 10;

    [Fact]
    public void Ten_thousand_first_order_gradients_allocate_nothing_per_step_and_keep_the_pool_flat() =>
        Loop(augmented: false, iterations: 10_000);

    [Fact]
    public void Augmented_gradients_allocate_nothing_per_step_and_keep_the_pool_flat() =>
        Loop(augmented: true, iterations: 2_000);

    private void Loop(bool augmented, int iterations)
    {
        using var outer = _e.OpenScope();
        var shortProblem = Problem(ShortLayers);
        var longProblem = Problem(LongLayers);
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

        // Warm-up long enough for tiered compilation to settle (re-compiled code may allocate less), then the fewest
        // bytes of three interleaved probes per problem.
        for (int i = 0; i < 500; i++) { Gradient(shortProblem); Gradient(longProblem); }
        long blocks = CreatedBlocks();
        const int probe = 50;
        (long Short, long Long) Probes()
        {
            long s = long.MaxValue, l = long.MaxValue;
            for (int k = 0; k < 3; k++) { s = Math.Min(s, Bytes(shortProblem, probe)); l = Math.Min(l, Bytes(longProblem, probe)); }
            return (s / probe, l / probe);
        }
        var first = Probes();
        for (int i = 0; i < iterations - 12 * probe; i++) Gradient(shortProblem);
        var last = Probes();
        output.WriteLine($"bytes per gradient: {ShortLayers} layers {first.Short} then {last.Short}, {LongLayers} layers {first.Long} then {last.Long}");

        // Nothing per step: more layers (4 RK4 stages each, in every sweep) allocate less than 16 bytes more per extra
        // layer — less than the smallest object (24 bytes), so no layer allocates one.
        Assert.True(first.Long - first.Short < 16 * (LongLayers - ShortLayers),
            $"{LongLayers} layers allocated {first.Long} bytes per gradient, {ShortLayers} layers {first.Short}");
        // Nothing that grows: no more bytes per gradient at the end of the loop than at its start.
        Assert.True(last.Long <= first.Long && last.Short <= first.Short,
            $"bytes per gradient grew: {first.Short} → {last.Short}, {first.Long} → {last.Long}");
        // Flat pool: every tensor of the loop reused a block made during warm-up.
        Assert.Equal(blocks, CreatedBlocks());
    }

    private SensitivityProblem<ManagedTensor<double>> Problem(int layers) => RandomNodeProblem.Create(_e, layers, dim: 4, batch: 16, seed: 11);

    /// <summary>The blocks the calling thread's float64 pool has made so far.</summary>
    private static long CreatedBlocks()
    {
        var pool = typeof(ManagedEngine<double>).Assembly.GetType("RobustNode.Core.Engines.Managed.StoragePool`1")!.MakeGenericType(typeof(double));
        return (long)pool.GetProperty("Created")!.GetValue(pool.GetProperty("Current")!.GetValue(null))!;
    }
}
