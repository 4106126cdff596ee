using System.Runtime.InteropServices;

namespace RobustNode.Host.Runs;

/// <summary>
/// Processor time (Linux <c>clock_gettime</c>): of the calling thread (<c>CLOCK_THREAD_CPUTIME_ID</c>) or of the whole
/// process (<c>CLOCK_PROCESS_CPUTIME_ID</c>, worker threads included). Unlike wall time it does not count the time a
/// thread waits while other processes run, so it stays comparable on a busy machine; and when trainers run side by side,
/// a trainer thread's own time does not count the others' work as the process's does.
/// </summary>
internal static class CpuClock
{
    private const int ClockProcessCpuTime = 2;
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>True where the clocks can be read.</summary>
    public static bool Available { get; } = OperatingSystem.IsLinux() && Probe();

    private static bool Probe()
    {
        try { return ClockGetTime(ClockThreadCpuTime, out _) == 0; }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    /// <summary>The calling thread's processor time so far, or null where the clock cannot be read.</summary>
    public static TimeSpan? Thread() => Read(ClockThreadCpuTime);

    /// <summary>The whole process's processor time so far, or null where the clock cannot be read.</summary>
    public static TimeSpan? Process() => Read(ClockProcessCpuTime);

    /// <summary>The calling thread's (or, with <paramref name="process"/>, the process's) processor time in milliseconds, NaN where unavailable.</summary>
    public static double Milliseconds(bool process = false) => (process ? Process() : Thread()) is { } t ? t.TotalMilliseconds : double.NaN;

    private static TimeSpan? Read(int clock) =>
        Available && ClockGetTime(clock, out var time) == 0
            ? TimeSpan.FromTicks(time.Seconds * TimeSpan.TicksPerSecond + time.Nanoseconds / 100)
            : null;
}
