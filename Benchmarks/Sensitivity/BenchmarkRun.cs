using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// Runs every method of a benchmark at every depth in one process (times), and each (method, depth) once more in
/// a child process (peak memory). Options: <c>--layers 10,100,1000</c>, <c>--threads 1</c>, <c>--no-memory</c>.
/// </summary>
internal sealed record BenchmarkRun(int[] Layers, int Threads, bool MeasureMemory)
{
    /// <summary>The one-minute load average when the run started.</summary>
    public string StartLoad { get; } = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    public static BenchmarkRun Parse(string[] args, int[]? defaultLayers = null)
    {
        var layers = defaultLayers ?? [10, 100, 1000];
        int threads = 1;
        bool memory = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--layers": layers = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-memory": memory = false; break;
                default: throw new ArgumentException($"unknown option '{args[i]}' (use --layers 10,100,1000, --threads n, --no-memory)");
            }
        }
        return new BenchmarkRun(layers, threads, memory);
    }

    public IReadOnlyList<Measurement> Measure<TProblem>(string benchmark, IReadOnlyList<BenchmarkMethod<TProblem>> methods, Func<int, TProblem> create)
    {
        set_num_threads(Threads);
        var results = new List<Measurement>();
        foreach (int n in Layers)
        {
            var problem = create(n);
            var computations = methods.Select(m => m.Prepare(problem)).ToArray();
            var differences = Differences(computations, methods.Select(m => m.ComparedWithBaseline).ToArray());
            var calls = computations.Select(c => TensorsCreated(c) / (double)n).ToArray();
            var (warmUp, rounds) = Timing.Plan(n);
            var (times, cpu) = Timing.MedianMilliseconds(computations.Select(c => (Action)(() => c())).ToArray(), warmUp, rounds);
            for (int i = 0; i < methods.Count; i++)
            {
                (long, long)? peaks = MeasureMemory ? PeakMemory.Measure(benchmark, methods[i].Name, n, Threads) : null;
                long? peak = peaks?.Item1;
                var m = new Measurement(methods[i].Name, n, times[i], cpu[i], peak, peaks?.Item2, calls[i], differences[i]);
                Console.WriteLine($"  N = {n,5}  {m.Method,-16} {m.Milliseconds,10:F2} ms (CPU {m.CpuMilliseconds,9:F2} ms)   peak {(peak is { } p ? $"{p / 1e6,9:F2} MB" : "—"),12}   {m.TensorsPerLayer,6:F0} tensors/layer   Δ vs baseline {m.DifferenceFromBaseline:E1}");
                results.Add(m);
            }
        }
        return results;
    }

    private static long TensorsCreated(Func<Tensor[]> computation)
    {
        using var scope = NewDisposeScope();
        var statistics = DisposeScopeManager.Statistics;
        long before = statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount;
        computation();
        return statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount - before;
    }

    /// <summary>
    /// The cost of one libtorch call from .NET on a state-sized tensor: the median thread CPU time of <c>x.add(y)</c> on
    /// [256, 8] float32 (microseconds), for reading the tensors-per-layer column.
    /// </summary>
    public double CallMicroseconds()
    {
        set_num_threads(Threads);
        using var outer = NewDisposeScope();
        var x = randn(BenchmarkProblem.Batch, BenchmarkProblem.Dim);
        var y = randn(BenchmarkProblem.Batch, BenchmarkProblem.Dim);
        var samples = new double[21];
        for (int r = -5; r < samples.Length; r++)
        {
            double start = Timing.ThreadCpuMilliseconds();
            for (int i = 0; i < 2000; i++)
            {
                using var scope = NewDisposeScope();
                x.add(y);
            }
            if (r >= 0) samples[r] = (Timing.ThreadCpuMilliseconds() - start) * 1000 / 2000;
        }
        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    // ‖∇_W − ∇_W(first method)‖∞ / ‖∇_W(first method)‖∞ for every method that computes the same gradient (NaN for the others).
    private static double[] Differences(IReadOnlyList<Func<Tensor[]>> computations, bool[] gradients)
    {
        using var scope = NewDisposeScope();
        var baseline = computations[0]()[0];
        double scale = baseline.abs().max().item<float>();
        return computations.Select((c, i) => gradients[i] ? (double)(c()[0] - baseline).abs().max().item<float>() / scale : double.NaN).ToArray();
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
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        return $"{cpu}, {System.Environment.ProcessorCount} cores, libtorch intra-op threads = {Threads}, load average {StartLoad} at the start and {load} at the end of the run (other processes share the cores), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC";
    }
}
