using System.Text.Json;
using RobustNode.Host.IO;

namespace RobustNode.Benchmarks.Results;

/// <summary>
/// Writes the JSON rows of a run (<c>--json FILE</c>): RobustNode's rows to FILE, the rows measured in PyTorch in the
/// same run to FILE with <c>.json</c> replaced by <c>.pytorch.json</c> (same keys, engine "pytorch"), each file
/// atomically (a temporary file, then a rename), so a failed run leaves no half-written file.
/// </summary>
internal static class ResultFile
{
    /// <summary>The PyTorch file beside a RobustNode file: <c>runs/g.json</c> → <c>runs/g.pytorch.json</c>.</summary>
    public static string PyTorchPath(string path) =>
        Path.ChangeExtension(path, null) is var stem && path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? stem + ".pytorch.json"
            : path + ".pytorch.json";

    public static void Write(string path, IReadOnlyList<BenchmarkRow> rows, IReadOnlyList<BenchmarkRow> pyTorchRows)
    {
        var ours = rows.Select(r => r.Checked()).ToArray();
        var theirs = pyTorchRows.Select(r => r.Checked(pyTorch: true)).ToArray();
        AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(ours, BenchmarkRowContext.Default.BenchmarkRowArray));
        Console.WriteLine($"wrote {path} ({ours.Length} rows)");
        if (theirs.Length == 0) return;
        var beside = PyTorchPath(path);
        AtomicFile.WriteAllBytes(beside, JsonSerializer.SerializeToUtf8Bytes(theirs, BenchmarkRowContext.Default.BenchmarkRowArray));
        Console.WriteLine($"wrote {beside} ({theirs.Length} PyTorch rows)");
    }
}
