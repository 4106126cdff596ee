using RobustNode.Host.Runs;

namespace RobustNode.Benchmarks.Solvers;

/// <summary>
/// CPU time consumed by the calling thread (<see cref="ThreadCpuClock"/>, Linux <c>CLOCK_THREAD_CPUTIME_ID</c>). Unlike
/// wall time it does not count the time the thread waits while other processes run, so it stays comparable on a busy
/// machine.
/// </summary>
public static class ThreadClock
{
    /// <summary>True where the clock can be read.</summary>
    public static bool Available => ThreadCpuClock.Available;

    /// <summary>The thread's CPU time so far, in microseconds (NaN where unavailable).</summary>
    public static double Microseconds() => ThreadCpuClock.Now() is { } t ? t.Ticks / 10.0 : double.NaN;
}
