using System.Globalization;
using System.Text.Json;
using RobustNode.Host.IO;

namespace RobustNode.Benchmarks.Results;

/// <summary>
/// Writes the JSON rows of a run (<c>--json FILE</c>), each an object with exactly the nine keys of
/// <see cref="BenchmarkRow"/>, each file atomically (a temporary file, then a rename), so a failed run leaves no
/// half-written file. FILE holds RobustNode's rows of the benchmark's own objective (standard for <c>gradients</c> and
/// <c>train-epoch</c>, augmented for <c>augmented</c> and <c>image-gradients</c>) at the run's first thread count; the
/// other rows go beside it, named by what tells them apart: <c>FILE.standard.json</c> / <c>FILE.augmented.json</c>
/// (the other objective: the first-order unit of cost, the augmented epoch), <c>FILE.threads2.json</c> (another thread
/// count), <c>FILE.pytorch.json</c> (PyTorch in the same run, engine "pytorch"), and their combinations
/// (<c>FILE.threads2.pytorch.json</c>). Within each file the nine keys identify a row.
/// </summary>
internal static class ResultFile
{
    /// <summary>The objective a benchmark measures: rows of the other objective go to a file beside FILE.</summary>
    public static string OwnObjective(string benchmark) =>
        benchmark is "augmented" or "image-gradients" ? BenchmarkRow.Augmented : BenchmarkRow.Standard;

    /// <summary>The file a row goes to: <c>runs/g.json</c> → <c>runs/g.json</c>, <c>runs/g.threads2.pytorch.json</c>, ….</summary>
    public static string PathFor(string path, BenchmarkRow row, int firstThreads, bool pyTorch)
    {
        string suffix = (row.Objective is { } o && o != OwnObjective(row.Benchmark) ? "." + o : "")
                        + (row.Threads != firstThreads ? string.Create(CultureInfo.InvariantCulture, $".threads{row.Threads}") : "")
                        + (pyTorch ? ".pytorch" : "");
        if (suffix.Length == 0) return path;
        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path[..^".json".Length] + suffix + ".json" : path + suffix + ".json";
    }

    /// <summary>The PyTorch file beside a RobustNode file (rows of the benchmark's objective at the first thread count).</summary>
    public static string PyTorchPath(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path[..^".json".Length] + ".pytorch.json" : path + ".pytorch.json";

    /// <summary>Writes every file of a run; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string path, IReadOnlyList<BenchmarkRow> rows, IReadOnlyList<BenchmarkRow> pyTorchRows)
    {
        int first = rows.Concat(pyTorchRows).Select(r => r.Threads).DefaultIfEmpty(1).First();
        var files = rows.Select(r => (Row: r.Checked(), PyTorch: false))
            .Concat(pyTorchRows.Select(r => (Row: r.Checked(pyTorch: true), PyTorch: true)))
            .GroupBy(r => PathFor(path, r.Row, first, r.PyTorch))
            .ToArray();
        foreach (var file in files)
        {
            var inFile = file.Select(r => r.Row).ToArray();
            var twice = inFile.GroupBy(r => (r.Benchmark, r.Method, r.Engine, r.Layers, r.Batch, r.Dim)).FirstOrDefault(g => g.Count() > 1);
            if (twice is not null) throw new InvalidOperationException($"benchmark rows: two rows of {file.Key} share the keys {twice.Key}");
            AtomicFile.WriteAllBytes(file.Key, JsonSerializer.SerializeToUtf8Bytes(inFile, BenchmarkRowContext.Default.BenchmarkRowArray));
            Console.WriteLine($"wrote {file.Key} ({inFile.Length} rows)");
        }
        return files.Select(f => f.Key).ToArray();
    }
}
