using System.Diagnostics;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Sensitivity.Support;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>Runs alone, so that the process's resident memory is not shared with concurrent tests.</summary>
[CollectionDefinition(nameof(MemoryMeasurements), DisableParallelization = true)]
public sealed class MemoryMeasurements;

/// <summary>
/// A training-style loop — 10 000 iterations, each in its own dispose scope, alternating a discrete gradient and a
/// discrete augmented gradient (d = 4, B = 8, N = 2, RK4) — leaves no tensor behind: the thread's live tensor count
/// returns to the same value after every iteration, and the resident set does not grow beyond allocator noise.
/// </summary>
[Collection(nameof(MemoryMeasurements))]
public sealed class MemoryStaysFlat(ITestOutputHelper output)
{
    [Fact]
    public void Ten_thousand_gradients_leave_no_tensor_behind()
    {
        const int warmUp = 500, iterations = 10_000;
        using var outer = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 89, dim: 4, batch: 8, layers: 2, LossKind.CrossEntropy);
        var problem = p.Problem(SolverCatalog.Fixed(Tableaux.Rk4));
        var augmented = new AugmentedLoss(0.1, AttackNorm.Infinity);
        double checksum = 0;
        void Iteration(int i)
        {
            using var scope = NewDisposeScope();
            checksum += i % 2 == 0
                ? Sensitivities.Gradient(problem, AdjointMode.Discrete).Ok().Loss
                : Sensitivities.AugmentedGradient(problem, augmented, AdjointMode.Discrete).Ok().AugmentedLoss;
        }

        for (int i = 0; i < warmUp; i++) Iteration(i);
        long liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long rssBefore = ResidentBytes();
        long maxLive = liveBefore;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            Iteration(i);
            maxLive = Math.Max(maxLive, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
        long liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long rssGrowth = ResidentBytes() - rssBefore;
        output.WriteLine($"{iterations} iterations in {clock.Elapsed.TotalSeconds:F1} s; live tensors {liveBefore} → {liveAfter} (max after an iteration {maxLive}); RSS growth {rssGrowth / 1e6:F1} MB");

        Assert.True(double.IsFinite(checksum));
        Assert.Equal(liveBefore, liveAfter);
        Assert.Equal(liveBefore, maxLive);
        Assert.True(rssGrowth < 32_000_000, $"resident memory grew by {rssGrowth / 1e6:F1} MB");
    }

    // Freed memory is handed back before reading the resident set — the managed heap's by an aggressive collection
    // (it decommits the young generation's budget, which can be tens of megabytes), the C heap's by malloc_trim — so that
    // what the loop keeps is measured, not how much free memory the two heaps happen to hold on to.
    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _ = MallocTrim(0);
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:"))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return Environment.WorkingSet;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
