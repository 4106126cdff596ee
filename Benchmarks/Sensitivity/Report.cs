using System.Text;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>The parts both benchmark reports share: header, the measurement protocol, the results table.</summary>
internal static class Report
{
    public static StringBuilder Header(string title, string problem, string command, BenchmarkRun run, IEnumerable<IBenchmarkMethod> methods, string notes)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# {title}").AppendLine();
        sb.AppendLine(problem).AppendLine();
        sb.AppendLine($"Command: `{command}` (options: `--layers 10,100,1000`, `--threads 1`, `--no-memory`).").AppendLine();
        sb.AppendLine($"Machine: {run.Environment()}.").AppendLine();
        foreach (var m in methods) sb.AppendLine($"- `{m.Name}`: {m.Description}");
        sb.AppendLine();
        sb.AppendLine(Protocol).AppendLine(notes).AppendLine();
        return sb;
    }

    public const string Protocol =
        "**Time** is the median over interleaved rounds (every method once per round, so that changes of the machine's load " +
        "affect all methods alike) after warm-up runs, in one process: wall time, and the CPU time of the measuring thread " +
        "(all the work runs on it with one libtorch intra-op thread), which processes competing for the cores disturb far less. **Tensors per layer** counts the tensors created " +
        "from .NET during one gradient, divided by N: each is one call into libtorch, the unit of cost for small states " +
        "(autograd's backward pass runs inside libtorch and creates none). **Peak memory** is measured for each (method, N) " +
        "in a fresh child process: after a warm-up run, garbage collection and `malloc_trim`, the resident set (VmRSS) is " +
        "read, the kernel's high-water mark is reset (`echo 5 > /proc/self/clear_refs`), one gradient is computed and VmHWM " +
        "is read; this is repeated five times and the least and the most are reported (disturbances — heap fragmentation, " +
        "managed heap growth — only add, so the least is the estimate; ratios use it). It is the peak of all memory the computation touched — " +
        "libtorch tensors and autograd graphs, heap overhead, managed objects — including the returned gradients themselves " +
        "(an accumulator and its scaled copy coexist at the end of a gradient). The child runs with one glibc arena, no heap top padding and a 256 kB gen-0 budget for " +
        "the .NET GC, so the heap grows by what is asked for and short-lived handles are collected early; page granularity " +
        "and allocator fragmentation remain, so the smallest numbers are upper bounds, with a noise floor of about half a " +
        "megabyte (compare least and most).";

    /// <summary>What the nODE benchmarks add to the protocol.</summary>
    public const string NodeNotes =
        "Here ∇_W and ∇_b are N·72 floats: 2.9 kB at N = 10, 0.29 MB at N = 1000. The exact statement that backsolve's " +
        "memory does not depend on N is a test: `BacksolveMemoryIsIndependentOfDepth` counts the tensors alive at once and " +
        "finds the same peak at N = 4 and N = 40.";

    /// <summary>The results table: one row per (N, method), ratios against the baseline (first method) and optionally against a unit method.</summary>
    public static string Results(BenchmarkRun run, IReadOnlyList<IBenchmarkMethod> methods, IReadOnlyList<Measurement> results, string? unit)
    {
        Measurement Get(string method, int n) => results.Single(r => r.Method == method && r.Layers == n);
        int first = run.Layers[0];
        string baseline = methods[0].Name;
        var rows = new List<IReadOnlyList<string>>();
        foreach (int n in run.Layers)
        {
            foreach (var m in methods)
            {
                var r = Get(m.Name, n);
                var b = Get(baseline, n);
                var row = new List<string>
                {
                    n.ToString(), m.Name, Markdown.Ms(r.Milliseconds), Markdown.Ms(r.CpuMilliseconds),
                    Markdown.Ratio(b.Milliseconds / r.Milliseconds), Markdown.Ratio(b.CpuMilliseconds / r.CpuMilliseconds),
                };
                if (unit is not null) row.Add(Markdown.Ratio(r.CpuMilliseconds / Get(unit, n).CpuMilliseconds));
                long? firstPeak = Get(m.Name, first).PeakBytes;
                row.Add(r.TensorsPerLayer.ToString("F0"));
                row.Add(r.PeakBytes is null ? "—" : $"{Markdown.MB(r.PeakBytes)} – {Markdown.MB(r.PeakMostBytes)}");
                row.Add(r.PeakBytes is { } p && firstPeak is > 0 ? Markdown.Ratio((double)p / firstPeak.Value) : "—");
                row.Add(m.Name == baseline || double.IsNaN(r.DifferenceFromBaseline) ? "—" : Markdown.Sci(r.DifferenceFromBaseline));
                rows.Add(row);
            }
        }
        var header = new List<string> { "N", "method", "wall time (ms)", "CPU time (ms)", $"speed-up over {baseline}, wall", $"speed-up over {baseline}, CPU" };
        if (unit is not null) header.Add($"CPU cost / {unit}");
        header.AddRange(["tensors from .NET per layer", "peak memory (MB), least – most of 5 runs", $"memory / memory at N = {first} (least)", $"‖∇_W − ∇_W({baseline})‖∞ / ‖∇_W({baseline})‖∞"]);
        return Markdown.Table(header, rows);
    }
}
