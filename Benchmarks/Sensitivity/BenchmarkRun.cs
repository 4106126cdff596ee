using System.Globalization;
using LanguageExt.Common;
using LanguageExt;
using RobustNode.Benchmarks.Engines;
using RobustNode.Benchmarks.Results;
using RobustNode.Host.Runs;
using TorchSharp;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// The options of a gradient benchmark and the loop that measures every method on every engine at every size in one
/// process (times), and each (method, engine, size) once more in a child process (peak memory).
/// </summary>
/// <remarks>
/// Sizes: <c>--layers</c>, <c>--batch</c> and <c>--dim</c> take lists whose first values make the headline size; every
/// other value is measured with the other two at their headline values (one factor at a time, not the product:
/// <c>--layers 20,100,1000 --dim 8,2,32,128 --batch 256,32,4096</c> is 1 + 2 + 3 + 2 = 8 sizes). <c>--threads 1,2</c>
/// measures every size at each thread count; peak memory is measured at the first thread count only. <c>--dtype</c>
/// (float32, the default, or float64) is the element type of every engine and of the PyTorch side.
/// </remarks>
internal sealed record BenchmarkRun(int[] Layers, int[] Batches, int[] Dims, int[] Threads, string Precision, IReadOnlyList<BenchmarkEngine> Engines,
    bool MeasureMemory, bool PyTorch, TimingPlan Plan, string? Json, string? Output)
{
    public const string Options =
        "--layers N,… --batch B,… --dim d,… --threads t,… --dtype float32|float64 --engine torch,managed --json FILE --out PAGE.md --no-memory --no-pytorch --quick --sample-ms MS";

    /// <summary>The one-minute load average when the run started.</summary>
    public string StartLoad { get; } = MachineReadings.LoadAverage();

    /// <summary>Whether the tables name the engine of each row (more than one engine measured).</summary>
    public bool SeveralEngines => Engines.Count > 1;

    /// <summary>The headline size: the first value of every list.</summary>
    public BenchmarkSize Headline => new(Layers[0], Batches[0], Dims[0], Threads[0], Precision);

    /// <summary>Every size measured, thread counts innermost (see remarks).</summary>
    public IReadOnlyList<BenchmarkSize> Sizes
    {
        get
        {
            var h = Headline;
            var one = new List<BenchmarkSize> { h };
            one.AddRange(Layers.Skip(1).Select(n => h with { Layers = n }));
            one.AddRange(Dims.Skip(1).Select(d => h with { Dim = d }));
            one.AddRange(Batches.Skip(1).Select(b => h with { Batch = b }));
            return one.Distinct().SelectMany(s => Threads.Select(s.At)).ToArray();
        }
    }

    /// <summary>Sizes at the first thread count (the ones with peak memory).</summary>
    public IReadOnlyList<BenchmarkSize> MemorySizes => Sizes.Where(s => s.Threads == Threads[0]).ToArray();

    /// <summary>
    /// Parses the options; every problem is reported at once. Defaults: the given layers, batch and dim, one thread, every
    /// engine of the catalog (the torch engine for a convolutional network), float32, memory measured, PyTorch run where
    /// the benchmark has a PyTorch side.
    /// </summary>
    /// <param name="convolutional">The benchmark's name when it measures a convolutional network: then every engine
    /// asked for must have convolutions (the host catalog's rule), else the options are refused naming the engine.</param>
    public static Fin<BenchmarkRun> Parse(string[] args, int[] defaultLayers, int defaultBatch, int defaultDim, string? convolutional = null)
    {
        var errors = new List<string>();
        int[] layers = defaultLayers, batches = [defaultBatch], dims = [defaultDim], threads = [1];
        IReadOnlyList<BenchmarkEngine> engines = convolutional is null ? EngineCatalog.All : [EngineCatalog.Default];
        bool memory = true, pytorch = true, quick = false;
        double? sample = null;
        string precision = BenchmarkSize.Float32;
        string? json = null, output = null;
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            int[] Counts(string name)
            {
                var value = Value();
                var parts = value?.Split(',', StringSplitOptions.TrimEntries) ?? [];
                var parsed = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 0).ToArray();
                if (value is null || parsed.Length == 0 || parsed.Contains(0))
                {
                    errors.Add($"{name}: expected a comma-separated list of positive integers, got '{value ?? "nothing"}'");
                    return [];
                }
                return parsed.Distinct().ToArray();
            }
            switch (option)
            {
                case "--layers": layers = Counts(option); break;
                case "--batch": batches = Counts(option); break;
                case "--dim": dims = Counts(option); break;
                case "--threads": threads = Counts(option); break;
                case "--engine":
                    var list = Value();
                    EngineCatalog.Parse(list ?? "").Match(e => engines = e, e => errors.Add(e.Message));
                    break;
                case "--dtype":
                    var type = Value();
                    if (type is not null && BenchmarkSize.Precisions.Contains(type)) precision = type;
                    else errors.Add($"--dtype: expected {string.Join(" or ", BenchmarkSize.Precisions)}, got '{type ?? "nothing"}'");
                    break;
                case "--json": json = Value() ?? Missing(option, "a file name", errors); break;
                case "--out": output = Value() ?? Missing(option, "a markdown file name", errors); break;
                case "--no-memory": memory = false; break;
                case "--no-pytorch": pytorch = false; break;
                case "--quick": quick = true; break;
                case "--sample-ms":
                    var ms = Value();
                    if (double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out double m) && m >= 0 && double.IsFinite(m)) sample = m;
                    else errors.Add($"--sample-ms: expected a non-negative number of milliseconds (0: one call per sample), got '{ms ?? "nothing"}'");
                    break;
                default: errors.Add($"unknown option '{option}'; options: {Options}"); break;
            }
        }
        if (convolutional is not null)
            EngineCatalog.Convolutional(engines, convolutional).IfFail(e => errors.Add(e.Message));
        // The pages measure every ratio against the torch engine's baseline (autograd, double backprop), which only it runs.
        if (!engines.Any(e => e.Name == EngineCatalog.Torch))
            errors.Add($"--engine: the baselines every ratio is measured against run on the {EngineCatalog.Torch} engine; " +
                       $"include it, e.g. --engine {EngineCatalog.Torch},{string.Join(",", engines.Select(e => e.Name))}");
        if (errors.Count > 0 || layers.Length == 0 || batches.Length == 0 || dims.Length == 0 || threads.Length == 0)
            return FinFail<BenchmarkRun>(Error.New(string.Join(System.Environment.NewLine, errors)));
        var plan = quick ? TimingPlan.Quick : TimingPlan.Standard;
        if (sample is { } samples) plan = plan with { SampleMilliseconds = samples };
        return new BenchmarkRun(layers, batches, dims, threads, precision, engines, memory, pytorch, plan, json, output);
    }

    private static string? Missing(string option, string what, List<string> errors)
    {
        errors.Add($"{option}: expected {what}");
        return null;
    }

    /// <summary>
    /// Measures every method on every engine it runs on, at every size; <paramref name="baseline"/> (the PyTorch side, null
    /// where it does not run) takes its turn in every timed round at each size, so both see the machine in the same state.
    /// </summary>
    public IReadOnlyList<Measurement> Measure<TProblem>(string benchmark, IReadOnlyList<BenchmarkMethod<TProblem>> methods, Func<BenchmarkSize, TProblem> create,
        Func<BenchmarkSize, IBaselineRounds?>? baseline = null)
    {
        var results = new List<Measurement>();
        foreach (var size in Sizes)
        {
            set_num_threads(size.Threads);
            Console.WriteLine($"  {size}");
            var problem = create(size);
            var variants = methods.SelectMany(m => Engines.Where(m.RunsOn).Select(e => (Method: m, Engine: e))).ToArray();
            var computations = variants.Select(v => v.Method.Prepare(problem, v.Engine)).ToArray();
            var differences = Differences(computations, variants.Select(v => v.Method.ComparedWithBaseline).ToArray());
            var calls = computations.Select(c => TensorsCreated(c.Run) / (double)size.Layers).ToArray();
            // Thread scaling measured in the same rounds: each computation of an engine with threads of its own also on a
            // one-thread engine, so that the ratio does not move with the machine between the sizes' measurements.
            var twins = size.Threads > 1 ? variants.Select((v, i) => (v, i)).Where(x => x.v.Engine.Name != EngineCatalog.Torch).ToArray() : [];
            var oneThread = twins.Length > 0 ? create(size.At(1)) : default;
            var timedRuns = computations.Select(c => c.Run).Concat(twins.Select(t => t.v.Method.Prepare(oneThread!, t.v.Engine).Run)).ToArray();
            IBaselineRounds? other = null;
            Timing.Medians timed;
            IReadOnlyList<Measurement> theirs = [];
            try
            {
                timed = Timing.Interleaved(timedRuns, Plan, processClock: size.Threads > 1,
                    baseline is null ? null : () => other = baseline(size));
                if (other is not null) theirs = other.Finish(timed.BaselineWall, timed.BaselineCpu);
            }
            finally
            {
                other?.Dispose();
            }
            var (times, cpu) = (timed.Wall, timed.Cpu);
            for (int i = 0; i < variants.Length; i++)
            {
                var (method, engine) = variants[i];
                (long, long)? peaks = MeasureMemory && size.Threads == Threads[0] ? PeakMemory.Measure(benchmark, method.Name, engine.Name, size) : null;
                int twin = System.Array.FindIndex(twins, t => t.i == i);
                var m = new Measurement(method.Name, method.Method, method.Objective, engine.Name, size, times[i], cpu[i], peaks?.Item1, peaks?.Item2, calls[i], differences[i],
                    twin < 0 ? null : times[variants.Length + twin]);
                Print(m);
                results.Add(m);
            }
            foreach (var m in theirs)
            {
                Print(m);
                results.Add(m);
            }
        }
        set_num_threads(Threads[0]);
        return results;
    }

    private static void Print(Measurement m) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    {m.Method,-16} {m.Engine,-8} {m.Milliseconds,10:F3} ms (CPU {m.CpuMilliseconds,10:F3} ms)   peak {(m.PeakBytes is { } p ? $"{p / 1e6,9:F2} MB" : "—"),12}   {(double.IsNaN(m.TensorsPerLayer) ? "" : $"{m.TensorsPerLayer,6:F0} tensors/layer")}   {(double.IsNaN(m.DifferenceFromBaseline) ? "" : $"Δ vs baseline {m.DifferenceFromBaseline:E1}")}{(m.OneThreadMilliseconds is { } one ? $"   one thread in the same rounds {one:F3} ms" : "")}"));

    /// <summary>Writes the JSON rows when <c>--json</c> was given.</summary>
    public void WriteJson(string benchmark, IReadOnlyList<Measurement> results)
    {
        if (Json is null) return;
        ResultFile.Write(Json, results.Where(r => !r.IsPyTorch).Select(r => r.Row(benchmark)).ToArray(),
            results.Where(r => r.IsPyTorch).Select(r => r.Row(benchmark)).ToArray());
    }

    /// <summary>Where the markdown page goes: <c>--out</c> (relative to the working folder), else docs/benchmarks/<paramref name="page"/>.</summary>
    public string PagePath(string page) =>
        Output is { } o ? Path.GetFullPath(o) : Path.Combine(RepositoryRoot(), "docs", "benchmarks", page);

    /// <summary>Writes the page and says where.</summary>
    public void WritePage(string page, string markdown)
    {
        var path = PagePath(page);
        Host.IO.AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(markdown));
        Console.WriteLine($"wrote {path}");
    }

    private static long TensorsCreated(Action computation)
    {
        using var scope = NewDisposeScope();
        var statistics = DisposeScopeManager.Statistics;
        long before = statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount;
        computation();
        return statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount - before;
    }

    /// <summary>
    /// The cost of one libtorch call from .NET on a state-sized tensor: the median thread CPU time of <c>x.add(y)</c> on
    /// [B, d] float32 at the headline size (microseconds), for reading the tensors-per-layer column.
    /// </summary>
    public double CallMicroseconds()
    {
        set_num_threads(1);
        using var outer = NewDisposeScope();
        var x = randn(Headline.Batch, Headline.Dim);
        var y = randn(Headline.Batch, Headline.Dim);
        var samples = new double[21];
        for (int r = -5; r < samples.Length; r++)
        {
            double start = CpuClock.Milliseconds();
            for (int i = 0; i < 2000; i++)
            {
                using var scope = NewDisposeScope();
                x.add(y);
            }
            if (r >= 0) samples[r] = (CpuClock.Milliseconds() - start) * 1000 / 2000;
        }
        System.Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    // ‖∇_W − ∇_W(first method)‖∞ / ‖∇_W(first method)‖∞ for every method that computes the same gradient (NaN for the others).
    private static double[] Differences(IReadOnlyList<Computation> computations, bool[] gradients)
    {
        using var scope = NewDisposeScope();
        var baseline = computations[0].Result()[0].to_type(ScalarType.Float64);
        double scale = baseline.abs().max().item<double>();
        return computations.Select((c, i) => gradients[i] ? (c.Result()[0].to_type(ScalarType.Float64) - baseline).abs().max().item<double>() / scale : double.NaN).ToArray();
    }

    /// <summary>The repository root (the folder holding RobustNode.sln), for the docs.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "RobustNode.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    /// <summary>Where and when the numbers were taken: CPU, threads, and the machine's load (other processes share the cores).</summary>
    public string Environment()
    {
        string cpu = MachineReadings.Processor();
        string load = MachineReadings.LoadAverage();
        return $"{cpu}, {System.Environment.ProcessorCount} cores, libtorch intra-op threads = {string.Join(" and ", Threads)}, load average {StartLoad} at the start and {load} at the end of the run (other processes share the cores), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC";
    }
}
