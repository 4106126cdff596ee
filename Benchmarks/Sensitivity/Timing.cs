using System.Diagnostics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// Wall times of several computations at one depth: warm-up runs of each (until tier-1 JIT code runs), then timed
/// rounds in which every computation runs once, in turn, each in its own dispose scope; the median per computation.
/// Interleaving the rounds exposes all methods alike to changes of the machine's load during the measurement.
/// Besides wall time it records the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID; with one libtorch intra-op
/// thread all the work runs on it), which other processes competing for the cores disturb far less.
/// </summary>
internal static class Timing
{
    public static (double[] Wall, double[] Cpu) MedianMilliseconds(IReadOnlyList<Action> runs, int warmUp, int rounds)
    {
        for (int i = 0; i < warmUp; i++)
            foreach (var run in runs) Once(run);
        var wall = runs.Select(_ => new double[rounds]).ToArray();
        var cpu = runs.Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int m = 0; m < runs.Count; m++) (wall[m][r], cpu[m][r]) = Once(runs[m]);
        return (wall.Select(Median).ToArray(), cpu.Select(Median).ToArray());
    }

    private static (double Wall, double Cpu) Once(Action run)
    {
        using var scope = NewDisposeScope();
        double cpu0 = ThreadCpuMilliseconds();
        var clock = Stopwatch.StartNew();
        run();
        return (clock.Elapsed.TotalMilliseconds, ThreadCpuMilliseconds() - cpu0);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>CPU time consumed so far by the calling thread.</summary>
    public static double ThreadCpuMilliseconds() =>
        ClockGetTime(ThreadCpuClock, out var t) == 0 ? t.Seconds * 1e3 + t.Nanoseconds / 1e6 : double.NaN;

    private static double Median(double[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Warm-up runs and timed rounds that keep every depth to a minute or less.</summary>
    public static (int WarmUp, int Rounds) Plan(int layers) => layers switch
    {
        <= 10 => (60, 31),
        <= 100 => (4, 15),
        _ => (2, 7),
    };
}
