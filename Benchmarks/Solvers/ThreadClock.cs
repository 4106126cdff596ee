using System.Runtime.InteropServices;

namespace RobustNode.Benchmarks.Solvers;

/// <summary>
/// CPU time consumed by the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>). Unlike wall time it does not
/// count the time the thread waits while other processes run, so it stays comparable on a busy machine.
/// </summary>
public static class ThreadClock
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>True where the clock can be read.</summary>
    public static bool Available { get; } = OperatingSystem.IsLinux() && Probe();

    private static bool Probe()
    {
        try { return ClockGetTime(ClockThreadCpuTime, out _) == 0; }
        catch (Exception) { return false; }
    }

    /// <summary>The thread's CPU time so far, in microseconds (NaN where unavailable).</summary>
    public static double Microseconds()
    {
        if (!Available || ClockGetTime(ClockThreadCpuTime, out var time) != 0) return double.NaN;
        return time.Seconds * 1e6 + time.Nanoseconds / 1e3;
    }
}
