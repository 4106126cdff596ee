using System.Diagnostics;
using RobustNode.Host.Runs;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// Wall times of several computations at one size: warm-up runs of each (<see cref="TimingPlan"/>), then timed rounds
/// in which every computation runs one sample in turn (consecutive calls, each in its own dispose scope, as many as
/// <see cref="TimingPlan.CallsPerSample"/> gives); the median of the time per call per computation.
/// Interleaving the rounds exposes all methods alike to changes of the machine's load during the measurement; a baseline
/// timed in another process (the PyTorch side) takes its turn in every round too (<see cref="Interleaved"/>).
/// Besides wall time it records CPU time: with one intra-op thread the calling thread's (<see cref="CpuClock"/>; all
/// the work runs on it), with more the whole process's, which counts the worker threads too.
/// CPU time is disturbed far less than wall time by other processes competing for the cores.
/// </summary>
internal static class Timing
{
    public static (double[] Wall, double[] Cpu) MedianMilliseconds(IReadOnlyList<Action> runs, TimingPlan plan, bool processClock)
    {
        var timed = Interleaved(runs, plan, processClock, baseline: null);
        return (timed.Wall, timed.Cpu);
    }

    /// <summary>Medians of the .NET computations and, when given, of a baseline's, whose rounds alternate with theirs.</summary>
    /// <param name="Wall">Median wall milliseconds of each .NET computation.</param>
    /// <param name="Cpu">Median CPU milliseconds of each .NET computation.</param>
    /// <param name="BaselineWall">Median wall milliseconds of each baseline computation (empty without a baseline).</param>
    /// <param name="BaselineCpu">Median CPU milliseconds of each baseline computation.</param>
    /// <param name="Rounds">How many timed rounds each side ran.</param>
    public sealed record Medians(double[] Wall, double[] Cpu, double[] BaselineWall, double[] BaselineCpu, int Rounds);

    /// <summary>
    /// The same protocol with a baseline in another process: after the .NET warm-up, <paramref name="baseline"/> starts it
    /// (the baseline warms up alone too; the caller owns and ends it); then every timed round runs the .NET computations once each and then the
    /// baseline's once each. Alternating the two sides round by round puts them under the same load, so their ratio holds
    /// even while the machine's load changes; timed one after the other, the ratio moved with the load between the two.
    /// </summary>
    public static Medians Interleaved(IReadOnlyList<Action> runs, TimingPlan plan, bool processClock, Func<IBaselineRounds?>? baseline)
    {
        var typical = new double[runs.Count];
        for (int m = 0; m < runs.Count; m++)
        {
            var times = new List<double>();
            var clock = Stopwatch.StartNew();
            while (times.Count < plan.MinWarmUpRuns || (clock.Elapsed.TotalSeconds < plan.WarmUpSeconds && times.Count < 100_000))
                times.Add(Once(runs[m], processClock).Wall);
            typical[m] = Median(times.TakeLast(Math.Min(times.Count, 15)).ToArray());
        }
        var calls = typical.Select(plan.CallsPerSample).ToArray();
        var other = baseline?.Invoke();
        var otherTypical = other?.TypicalMilliseconds ?? [];
        double round = typical.Select((t, m) => t * calls[m]).Sum() + otherTypical.Select(t => t * plan.CallsPerSample(t)).Sum();
        int rounds = plan.Rounds(round / 1e3);
        var wall = runs.Select(_ => new double[rounds]).ToArray();
        var cpu = runs.Select(_ => new double[rounds]).ToArray();
        int k = other?.TypicalMilliseconds.Count ?? 0;
        var otherWall = Enumerable.Range(0, k).Select(_ => new double[rounds]).ToArray();
        var otherCpu = Enumerable.Range(0, k).Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
        {
            for (int m = 0; m < runs.Count; m++) (wall[m][r], cpu[m][r]) = Sample(runs[m], calls[m], processClock);
            if (other is null) continue;
            var (w, c) = other.Round();
            for (int m = 0; m < k; m++) (otherWall[m][r], otherCpu[m][r]) = (w[m], c[m]);
        }
        return new Medians(wall.Select(Median).ToArray(), cpu.Select(Median).ToArray(), otherWall.Select(Median).ToArray(), otherCpu.Select(Median).ToArray(), rounds);
    }

    /// <summary>
    /// The fixed protocol: <paramref name="warmUp"/> runs of every computation, then <paramref name="rounds"/> interleaved
    /// timed rounds, on the calling thread's clock (the <c>kernels</c> verb).
    /// </summary>
    public static (double[] Wall, double[] Cpu) MedianMilliseconds(IReadOnlyList<Action> runs, int warmUp, int rounds)
    {
        for (int i = 0; i < warmUp; i++)
            foreach (var run in runs) Once(run, processClock: false);
        var wall = runs.Select(_ => new double[rounds]).ToArray();
        var cpu = runs.Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int m = 0; m < runs.Count; m++) (wall[m][r], cpu[m][r]) = Once(runs[m], processClock: false);
        return (wall.Select(Median).ToArray(), cpu.Select(Median).ToArray());
    }

    private static (double Wall, double Cpu) Once(Action run, bool processClock) => Sample(run, 1, processClock);

    // Time per call of `calls` consecutive calls.
    private static (double Wall, double Cpu) Sample(Action run, int calls, bool processClock)
    {
        double cpu0 = CpuClock.Milliseconds(processClock);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < calls; i++)
        {
            using var scope = NewDisposeScope();
            run();
        }
        return (clock.Elapsed.TotalMilliseconds / calls, (CpuClock.Milliseconds(processClock) - cpu0) / calls);
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
