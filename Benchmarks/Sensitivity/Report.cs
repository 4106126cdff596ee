using System.Globalization;
using System.Text;
using RobustNode.Benchmarks.Engines;
using RobustNode.Benchmarks.PyTorch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>The parts the benchmark reports share: header, the measurement protocol, the results tables.</summary>
internal static class Report
{
    public static StringBuilder Header(string title, string problem, string command, string[] args, BenchmarkRun run, IEnumerable<IBenchmarkMethod> methods, string notes)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# {title}").AppendLine();
        sb.AppendLine(problem).AppendLine();
        sb.AppendLine($"Command: `{string.Join(" ", new[] { command }.Concat(args))}` (options: `{BenchmarkRun.Options}`; see [README.md](README.md)).").AppendLine();
        sb.AppendLine($"Machine: {run.Environment()}.").AppendLine();
        foreach (var m in methods) sb.AppendLine($"- `{m.Name}`: {m.Description}");
        sb.AppendLine();
        sb.AppendLine("Engines: " + string.Join("; ", run.Engines.Select(e => $"`{e.Name}` — {e.Description}")) + ".");
        sb.AppendLine();
        sb.AppendLine(Protocol).AppendLine(notes).AppendLine();
        return sb;
    }

    public const string Protocol =
        "**Time** is the median time per call over interleaved rounds (one sample of every method per round, so that changes of the machine's load " +
        "affect all methods alike) after warm-up runs (each method alone for at least a second, so that tier-1 JIT code runs), " +
        "in one process; a sample is a run of consecutive calls lasting at least 50 ms (one call when a call lasts longer; `--sample-ms`), as " +
        "BenchmarkDotNet's iterations and as a training loop's gradients — a single call right after the other methods finds the caches " +
        "filled by them, which costs a computation of a fraction of a millisecond a large part of its time. Wall time, and CPU time — of the measuring thread with one intra-op thread (all the work runs on it), of the " +
        "whole process with more — which processes competing for the cores disturb far less than wall time. **Tensors per layer** counts the tensors created " +
        "from .NET during one gradient, divided by N: each is one call into libtorch, the unit of cost for small states " +
        "(autograd's backward pass runs inside libtorch and creates none). **Peak memory** is measured for each (method, size) " +
        "in a fresh child process: after a warm-up run, garbage collection and `malloc_trim`, the resident set (VmRSS) is " +
        "read, the kernel's high-water mark is reset (`echo 5 > /proc/self/clear_refs`), one gradient is computed and VmHWM " +
        "is read; this is repeated five times and the least and the most are reported (disturbances — heap fragmentation, " +
        "managed heap growth — only add, so the least is the estimate; ratios use it). It is the peak of all memory the computation touched — " +
        "libtorch tensors and autograd graphs, heap overhead, managed objects — including the returned gradients themselves " +
        "(an accumulator and its scaled copy coexist at the end of a gradient). The child runs with one glibc arena, no heap top padding and a 256 kB gen-0 budget for " +
        "the .NET GC, so the heap grows by what is asked for and short-lived handles are collected early; page granularity " +
        "and allocator fragmentation remain, so the smallest numbers are upper bounds, with a noise floor of about half a " +
        "megabyte (compare least and most). Peak memory is measured at the first thread count only.";

    /// <summary>What the nODE benchmarks add to the protocol.</summary>
    public const string NodeNotes =
        "Here ∇_W and ∇_b are N·(d² + d) floats: 2.9 kB at N = 10, d = 8, 0.29 MB at N = 1000. The exact statement that backsolve's " +
        "memory does not depend on N is a test: `BacksolveMemoryIsIndependentOfDepth` counts the tensors alive at once and " +
        "finds the same peak at N = 4 and N = 40. On the managed engine every buffer comes from a per-thread pool that the " +
        "warm-up run fills and later gradients reuse, so its peak here (growth over the resident set after warm-up) is close " +
        "to zero: what it needs is already resident, and a long loop allocates nothing per step.";

    /// <summary>The name of a row in the tables: the method, with its engine when several engines were measured.</summary>
    public static string Label(BenchmarkRun run, Measurement m) =>
        m.IsPyTorch || !run.SeveralEngines ? m.Method : $"{m.Method} ({m.Engine})";

    /// <summary>The size columns that vary in this run (N always).</summary>
    private static (string[] Header, Func<BenchmarkSize, string[]> Cells) SizeColumns(BenchmarkRun run, string dim = "d")
    {
        bool batch = run.Batches.Length > 1, dims = run.Dims.Length > 1, threads = run.Threads.Length > 1;
        var header = new List<string> { "N" };
        if (batch) header.Add("B");
        if (dims) header.Add(dim);
        if (threads) header.Add("threads");
        return (header.ToArray(), s =>
        {
            var cells = new List<string> { s.Layers.ToString(CultureInfo.InvariantCulture) };
            if (batch) cells.Add(s.Batch.ToString(CultureInfo.InvariantCulture));
            if (dims) cells.Add(s.Dim.ToString(CultureInfo.InvariantCulture));
            if (threads) cells.Add(s.Threads.ToString(CultureInfo.InvariantCulture));
            return cells.ToArray();
        });
    }

    /// <summary>
    /// The results table of RobustNode's rows: one row per (size, method, engine), ratios against the baseline (the first
    /// method on torch) and optionally against a unit method on the same engine; memory against the same method at the headline size.
    /// </summary>
    public static string Results(BenchmarkRun run, IReadOnlyList<IBenchmarkMethod> methods, IReadOnlyList<Measurement> results, string? unit, string dim = "d")
    {
        var ours = results.Where(r => !r.IsPyTorch).ToArray();
        string baseline = methods[0].Name;
        var (sizeHeader, sizeCells) = SizeColumns(run, dim);
        var headline = run.Headline;
        var rows = new List<IReadOnlyList<string>>();
        foreach (var size in run.Sizes)
        {
            var b = ours.Single(r => r.Size == size && r.Method == baseline && r.Engine == EngineCatalog.Torch);
            foreach (var r in ours.Where(r => r.Size == size))
            {
                var row = new List<string>(sizeCells(size))
                {
                    Label(run, r), Markdown.Ms(r.Milliseconds), Markdown.Ms(r.CpuMilliseconds),
                    Markdown.Ratio(b.Milliseconds / r.Milliseconds), Markdown.Ratio(b.CpuMilliseconds / r.CpuMilliseconds),
                };
                if (unit is not null && ours.SingleOrDefault(u => u.Size == size && u.Method == unit && u.Engine == r.Engine) is { } u)
                    row.Add(Markdown.Ratio(r.CpuMilliseconds / u.CpuMilliseconds));
                else if (unit is not null) row.Add("—");
                long? firstPeak = ours.SingleOrDefault(x => x.Size == headline with { Threads = size.Threads } && x.Method == r.Method && x.Engine == r.Engine)?.PeakBytes;
                row.Add(double.IsNaN(r.TensorsPerLayer) ? "—" : r.TensorsPerLayer.ToString("F0", CultureInfo.InvariantCulture));
                row.Add(r.PeakBytes is null ? "—" : $"{Markdown.MB(r.PeakBytes)} – {Markdown.MB(r.PeakMostBytes)}");
                row.Add(r.PeakBytes is { } p && firstPeak is > 0 ? Markdown.Ratio((double)p / firstPeak.Value) : "—");
                row.Add(r.Method == baseline || double.IsNaN(r.DifferenceFromBaseline) ? "—" : Markdown.Sci(r.DifferenceFromBaseline));
                rows.Add(row);
            }
        }
        var header = new List<string>(sizeHeader) { "method", "wall time (ms)", "CPU time (ms)", $"speed-up over {baseline}, wall", $"speed-up over {baseline}, CPU" };
        if (unit is not null) header.Add($"CPU cost / {unit}");
        header.AddRange(["tensors from .NET per layer", "peak memory (MB), least – most of 5 runs", "memory / memory at the headline size (least)",
            $"‖∇_W − ∇_W({baseline})‖∞ / ‖∇_W({baseline})‖∞"]);
        return Markdown.Table(header, rows);
    }

    /// <summary>
    /// The PyTorch table: per size, each PyTorch method's times and memory, and how many times faster (CPU time) each of
    /// the given RobustNode methods is than it (above 1: RobustNode is faster).
    /// </summary>
    /// <summary>
    /// The engines side by side, for every method that runs on more than one: each engine's wall and CPU time, and the
    /// speed-ups of every engine other than torch over TorchSharp (torch ÷ it) and over the PyTorch method the
    /// method is compared with (PyTorch ÷ it), all measured in the same run. Empty with one engine.
    /// </summary>
    public static string Engines(BenchmarkRun run, IReadOnlyList<Measurement> results, IReadOnlyList<(NodeBaseline.Method PyTorch, string[] Ours)> pairs)
    {
        if (!run.SeveralEngines) return "";
        var others = run.Engines.Where(e => e.Name != EngineCatalog.Torch).Select(e => e.Name).ToArray();
        var methods = results.Where(r => !r.IsPyTorch && r.Engine != EngineCatalog.Torch).Select(r => r.Method).Distinct().ToArray();
        var (sizeHeader, sizeCells) = SizeColumns(run);
        var header = new List<string>(sizeHeader) { "method", "torch wall (ms)", "CPU (ms)" };
        foreach (var e in others) header.AddRange([$"{e} wall (ms)", "CPU (ms)", $"torch ÷ {e}, wall", "CPU"]);
        header.AddRange(["PyTorch method", "wall (ms)", "CPU (ms)"]);
        foreach (var e in others) header.AddRange([$"PyTorch ÷ {e}, wall", "CPU"]);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var size in run.Sizes)
            foreach (var method in methods)
            {
                var torch = results.SingleOrDefault(r => !r.IsPyTorch && r.Size == size && r.Method == method && r.Engine == EngineCatalog.Torch);
                var row = new List<string>(sizeCells(size)) { $"`{method}`" };
                row.AddRange(torch is null ? ["—", "—"] : [Markdown.Ms(torch.Milliseconds), Markdown.Ms(torch.CpuMilliseconds)]);
                var mine = others.Select(e => results.SingleOrDefault(r => !r.IsPyTorch && r.Size == size && r.Method == method && r.Engine == e)).ToArray();
                foreach (var o in mine)
                    row.AddRange(o is null ? ["—", "—", "—", "—"]
                        : [Markdown.Ms(o.Milliseconds), Markdown.Ms(o.CpuMilliseconds),
                           torch is null ? "—" : Markdown.Ratio(torch.Milliseconds / o.Milliseconds), torch is null ? "—" : Markdown.Ratio(torch.CpuMilliseconds / o.CpuMilliseconds)]);
                var baseline = pairs.FirstOrDefault(p => p.Ours.Contains(method)).PyTorch;
                var t = baseline is null ? null : PyTorchRow(results, baseline, size);
                row.AddRange(t is null ? ["—", "—", "—"] : [$"`{baseline!.Name}`", Markdown.Ms(t.Milliseconds), Markdown.Ms(t.CpuMilliseconds)]);
                foreach (var o in mine)
                    row.AddRange(o is null || t is null ? ["—", "—"] : [Markdown.Ratio(t.Milliseconds / o.Milliseconds), Markdown.Ratio(t.CpuMilliseconds / o.CpuMilliseconds)]);
                rows.Add(row);
            }
        var sb = new StringBuilder();
        sb.AppendLine("## Engines side by side").AppendLine();
        sb.AppendLine("RobustNode's own methods on every engine, with the speed-up of each engine over TorchSharp (`torch`) and over the " +
                      "PyTorch computation of the same quantity, all in this run: a ratio above 1 means that engine is faster. " +
                      "Ratios are the figures to read on a shared machine; the times move with its load.").AppendLine();
        sb.AppendLine(Markdown.Table(header, rows));
        return sb.ToString();
    }

    public static string AgainstPyTorch(BenchmarkRun run, IReadOnlyList<Measurement> results, IReadOnlyList<(NodeBaseline.Method PyTorch, string[] Ours)> pairs)
    {
        var theirs = results.Where(r => r.IsPyTorch).ToArray();
        if (theirs.Length == 0) return NodeBaseline.Status(run) + Environment.NewLine;
        var (sizeHeader, sizeCells) = SizeColumns(run);
        var sb = new StringBuilder();
        foreach (var (pytorch, ours) in pairs)
        {
            var compared = results.Where(r => !r.IsPyTorch && ours.Contains(r.Method)).Select(r => (r.Method, r.Engine)).Distinct().ToArray();
            var header = new List<string>(sizeHeader) { $"`{pytorch.Name}` wall (ms)", "CPU (ms)", "peak memory (MB)" };
            foreach (var (method, engine) in compared)
                header.AddRange([$"`{(run.SeveralEngines ? $"{method} ({engine})" : method)}` CPU (ms)", "its speed-up, CPU", "wall"]);
            var rows = new List<IReadOnlyList<string>>();
            foreach (var size in run.Sizes)
            {
                if (theirs.SingleOrDefault(r => r.Size == size && r.Method == pytorch.Name) is not { } t) continue;
                var row = new List<string>(sizeCells(size)) { Markdown.Ms(t.Milliseconds), Markdown.Ms(t.CpuMilliseconds), t.PeakBytes is { } p ? Markdown.MB(p) : "—" };
                foreach (var (method, engine) in compared)
                {
                    var o = results.SingleOrDefault(r => r.Size == size && r.Method == method && r.Engine == engine);
                    row.AddRange(o is null ? ["—", "—", "—"]
                        : [Markdown.Ms(o.CpuMilliseconds), Markdown.Ratio(t.CpuMilliseconds / o.CpuMilliseconds), Markdown.Ratio(t.Milliseconds / o.Milliseconds)]);
                }
                rows.Add(row);
            }
            sb.AppendLine($"`{pytorch.Name}`: {pytorch.Description}.").AppendLine();
            sb.AppendLine(Markdown.Table(header, rows));
        }
        return sb.ToString();
    }

    /// <summary>The fastest engine's measurement of a RobustNode method at a size (by CPU time), or null.</summary>
    public static Measurement? Best(IReadOnlyList<Measurement> results, string method, BenchmarkSize size) =>
        results.Where(r => !r.IsPyTorch && r.Method == method && r.Size == size).MinBy(r => r.CpuMilliseconds);

    public static Measurement? PyTorchRow(IReadOnlyList<Measurement> results, NodeBaseline.Method method, BenchmarkSize size) =>
        results.SingleOrDefault(r => r.IsPyTorch && r.Method == method.Name && r.Size == size);

    /// <summary>
    /// The issue's speed goals against PyTorch and across threads, for one RobustNode method: at least <paramref name="factor"/>×
    /// faster than the PyTorch method at every size (CPU and wall), at most <paramref name="milliseconds"/> at the headline size (absolute:
    /// meaningful on a quiet machine only), and two threads at least 1.7× faster than one (wall) at the largest batch.
    /// </summary>
    public static IEnumerable<IReadOnlyList<string>> SpeedGoals(BenchmarkRun run, IReadOnlyList<Measurement> results, string method, string what,
        NodeBaseline.Method pytorch, double factor, double milliseconds)
    {
        foreach (var size in run.Sizes)
        {
            if (PyTorchRow(results, pytorch, size) is not { } t) continue;
            foreach (var o in results.Where(r => !r.IsPyTorch && r.Method == method && r.Size == size))
            {
                double cpu = t.CpuMilliseconds / o.CpuMilliseconds, wall = t.Milliseconds / o.Milliseconds;
                yield return [$"{what} ({o.Engine}) ≥ {factor:0.#}× faster than `{pytorch.Name}`, {size}", $"{Markdown.Ratio(wall)} wall, {Markdown.Ratio(cpu)} CPU",
                    Markdown.Verdict(cpu >= factor && wall >= factor)];
            }
        }
        var headline = run.Headline;
        foreach (var o in results.Where(r => !r.IsPyTorch && r.Method == method && r.Size == headline))
            yield return [$"{what} ({o.Engine}) ≤ {milliseconds:0.0##} ms at {headline} (absolute time: a verdict only on a quiet machine)",
                $"{Markdown.Ms(o.Milliseconds)} ms wall, {Markdown.Ms(o.CpuMilliseconds)} ms CPU", Markdown.Verdict(o.Milliseconds <= milliseconds)];
        if (run.Threads.Contains(1) && run.Threads.Contains(2))
        {
            int batch = run.Batches.Max();
            var one = headline with { Batch = batch, Threads = 1 };
            foreach (var o1 in results.Where(r => !r.IsPyTorch && r.Method == method && r.Size == one))
                if (results.SingleOrDefault(r => !r.IsPyTorch && r.Method == method && r.Engine == o1.Engine && r.Size == one.At(2)) is { } o2)
                {
                    // In the same rounds where the engine has threads of its own; else across the two sizes' measurements.
                    var (scaling, how) = o2.OneThreadMilliseconds is { } same
                        ? (same / o2.Milliseconds, "one and two threads timed in the same rounds")
                        : (o1.Milliseconds / o2.Milliseconds, "each thread count in its own rounds");
                    yield return [$"{what} ({o1.Engine}): two threads ≥ 1.7× faster than one at B = {batch} (wall; {how})", Markdown.Ratio(scaling), Markdown.Verdict(scaling >= 1.7)];
                }
        }
    }
}
