using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// Peak memory of one gradient, measured in a fresh child process so that no other measurement's heap is in the
/// way: build the problem, run the method once (JIT, lazy initialisation), then five times: collect garbage, hand
/// freed heap pages back to the kernel (<c>malloc_trim</c>), read the resident set (VmRSS), reset the high-water
/// mark (<c>echo 5 &gt; /proc/self/clear_refs</c>), run the method and read VmHWM. Each difference is the peak of
/// everything the computation touched — libtorch's CPU tensors and autograd graphs, glibc heap overhead, managed
/// objects — including the result tensors themselves. The disturbances (heap fragmentation, managed heap growth)
/// only add, so the least of the five is the estimate and the most is reported beside it. The child runs with one glibc
/// arena and no heap top padding (MALLOC_ARENA_MAX=1, MALLOC_TOP_PAD_=0), so the heap grows by what is asked for,
/// and with a 256 kB gen-0 budget (DOTNET_GCgen0size), so that short-lived managed objects (tensor handles, closures)
/// are collected before they add megabytes of their own. Linux only.
/// </summary>
internal static class PeakMemory
{
    public const string Verb = "peak-memory";

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    /// <summary>
    /// Child side: <c>peak-memory &lt;benchmark&gt; &lt;method&gt; &lt;engine&gt; &lt;layers&gt; &lt;batch&gt; &lt;dim&gt; &lt;threads&gt; &lt;precision&gt;</c>;
    /// prints the least and the most peak in bytes.
    /// </summary>
    public static int Run(string[] args)
    {
        int Int(int i) => int.Parse(args[i], CultureInfo.InvariantCulture);
        var size = new BenchmarkSize(Int(3), Int(4), Int(5), Int(6), args[7]);
        set_num_threads(size.Threads);
        var compute = Catalog.Computation(args[0], args[1], args[2], size);
        using (NewDisposeScope()) compute.Run();
        var peaks = new long[5];
        for (int i = 0; i < peaks.Length; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            MallocTrim(0);
            long baseline = Status("VmRSS");
            File.WriteAllText("/proc/self/clear_refs", "5");
            using (NewDisposeScope()) compute.Run();
            peaks[i] = Status("VmHWM") - baseline;
        }
        Array.Sort(peaks);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{peaks[0]} {peaks[^1]}"));
        return 0;
    }

    /// <summary>Parent side: runs the child and returns the least and the most peak of its runs, in bytes.</summary>
    public static (long Least, long Most) Measure(string benchmark, string method, string engine, BenchmarkSize size)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(PeakMemory).Assembly.Location);
        foreach (var a in new[] { Verb, benchmark, method, engine }) start.ArgumentList.Add(a);
        foreach (int n in new[] { size.Layers, size.Batch, size.Dim, size.Threads }) start.ArgumentList.Add(n.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(size.Precision);
        start.Environment["MALLOC_ARENA_MAX"] = "1";
        start.Environment["MALLOC_TOP_PAD_"] = "0";
        start.Environment["DOTNET_GCgen0size"] = "0x40000";
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEnd();
        var error = child.StandardError.ReadToEnd();
        child.WaitForExit();
        var parts = output.Trim().Split(' ');
        if (child.ExitCode != 0 || parts.Length != 2 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out long least)
            || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out long most))
            throw new InvalidOperationException($"peak-memory child for {benchmark}/{method}/{engine} at {size} failed ({child.ExitCode}): {error}{output}");
        return (least, most);
    }

    private static long Status(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"/proc/self/status has no {key}");
    }
}
