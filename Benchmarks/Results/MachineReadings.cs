using System.Runtime.Intrinsics;

namespace RobustNode.Benchmarks.Results;

/// <summary>What every page says of the machine it was measured on: the processor and the load (other processes share the cores).</summary>
internal static class MachineReadings
{
    /// <summary>
    /// The processor's model name from /proc/cpuinfo ("unknown CPU" where there is none), the widest vectors the managed
    /// kernels run on and the last-level cache: machines of one name differ in both (AVX-512 or not), and both move the
    /// managed engine's figures.
    /// </summary>
    public static string Processor()
    {
        string name = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        string vectors = Vector512.IsHardwareAccelerated ? "512-bit vectors (AVX-512)"
            : Vector256.IsHardwareAccelerated ? "256-bit vectors (no AVX-512)" : "128-bit vectors";
        return LastLevelCache() is { } cache ? $"{name} ({vectors}, {cache} last-level cache)" : $"{name} ({vectors})";
    }

    // The largest cache level's size as the kernel reports it ("32768K" → "32 MB"), or null.
    private static string? LastLevelCache()
    {
        const string caches = "/sys/devices/system/cpu/cpu0/cache";
        if (!Directory.Exists(caches)) return null;
        var largest = Directory.GetDirectories(caches, "index*")
            .Select(d => Path.Combine(d, "size"))
            .Where(File.Exists)
            .Select(f => File.ReadAllText(f).Trim())
            .Select(text => text.EndsWith('K') && long.TryParse(text[..^1], out long k) ? k : 0)
            .DefaultIfEmpty(0)
            .Max();
        return largest == 0 ? null : largest >= 1024 ? $"{largest / 1024} MB" : $"{largest} kB";
    }

    /// <summary>The 1-minute load average from /proc/loadavg ("?" where there is none).</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
