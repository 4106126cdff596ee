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
/// A training-style loop — 10 000 iterations of a discrete gradient and an augmented gradient, each iteration in
/// its own dispose scope — leaves no tensor behind: the thread's live tensor count returns to the same value
/// after every iteration, and the resident set does not grow beyond allocator noise.
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
        void Iteration()
        {
            using var scope = NewDisposeScope();
            var g = Sensitivities.Gradient(problem, AdjointMode.Discrete).Ok();
            var a = Sensitivities.AugmentedGradient(problem, augmented, AdjointMode.Discrete).Ok();
            checksum += g.Loss + a.AugmentedLoss;
        }

        for (int i = 0; i < warmUp; i++) Iteration();
        long liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long rssBefore = ResidentBytes();
        long maxLive = liveBefore;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            Iteration();
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

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:"))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return Environment.WorkingSet;
    }
}
