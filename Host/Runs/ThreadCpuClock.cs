using System.Runtime.InteropServices;

namespace RobustNode.Host.Runs;

/// <summary>
/// The processor time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>). When trainers run side by side the
/// process's processor time over an epoch counts the other trainers' work too; the trainer thread's own does not.
/// </summary>
internal static class ThreadCpuClock
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
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    /// <summary>The calling thread's processor time so far, or null where the clock cannot be read.</summary>
    public static TimeSpan? Now() =>
        Available && ClockGetTime(ClockThreadCpuTime, out var time) == 0
            ? TimeSpan.FromTicks(time.Seconds * TimeSpan.TicksPerSecond + time.Nanoseconds / 100)
            : null;
}
