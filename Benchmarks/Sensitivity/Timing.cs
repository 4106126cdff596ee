using System.Diagnostics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// Wall times of several computations at one size: warm-up runs of each (<see cref="TimingPlan"/>), then timed rounds
/// in which every computation runs once, in turn, each in its own dispose scope; the median per computation.
/// Interleaving the rounds exposes all methods alike to changes of the machine's load during the measurement.
/// Besides wall time it records CPU time: with one intra-op thread the calling thread's (CLOCK_THREAD_CPUTIME_ID; all the
/// work runs on it), with more the whole process's (CLOCK_PROCESS_CPUTIME_ID, which counts the worker threads too).
/// CPU time is disturbed far less than wall time by other processes competing for the cores.
/// </summary>
internal static class Timing
{
    public static (double[] Wall, double[] Cpu) MedianMilliseconds(IReadOnlyList<Action> runs, TimingPlan plan, bool processClock)
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
        int rounds = plan.Rounds(typical.Sum() / 1e3);
        var wall = runs.Select(_ => new double[rounds]).ToArray();
        var cpu = runs.Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int m = 0; m < runs.Count; m++) (wall[m][r], cpu[m][r]) = Once(runs[m], processClock);
        return (wall.Select(Median).ToArray(), cpu.Select(Median).ToArray());
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

    private static (double Wall, double Cpu) Once(Action run, bool processClock)
    {
        using var scope = NewDisposeScope();
        double cpu0 = CpuMilliseconds(processClock);
        var clock = Stopwatch.StartNew();
        run();
        return (clock.Elapsed.TotalMilliseconds, CpuMilliseconds(processClock) - cpu0);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private const int ProcessCpuClock = 2; // CLOCK_PROCESS_CPUTIME_ID
    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>CPU time consumed so far by the calling thread.</summary>
    public static double ThreadCpuMilliseconds() => CpuMilliseconds(processClock: false);

    /// <summary>CPU time consumed so far by the calling thread, or by the whole process.</summary>
    public static double CpuMilliseconds(bool processClock) =>
        ClockGetTime(processClock ? ProcessCpuClock : ThreadCpuClock, out var t) == 0 ? t.Seconds * 1e3 + t.Nanoseconds / 1e6 : double.NaN;

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
