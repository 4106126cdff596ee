namespace RobustNode.Benchmarks.Results;

/// <summary>What every page says of the machine it was measured on: the processor and the load (other processes share the cores).</summary>
internal static class MachineReadings
{
    /// <summary>The processor's model name from /proc/cpuinfo ("unknown CPU" where there is none).</summary>
    public static string Processor() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";

    /// <summary>The 1-minute load average from /proc/loadavg ("?" where there is none).</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
