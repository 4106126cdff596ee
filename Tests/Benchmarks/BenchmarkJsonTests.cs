using System.Text.Json;
using RobustNode.Tests.Oracles;
using Xunit;

namespace RobustNode.Tests.Benchmarks;

/// <summary>
/// The contract of the benchmarks' <c>--json</c> files (docs/benchmarks/README.md): an array of objects with exactly the
/// keys benchmark, method, engine, layers, batch, dim, wallMs, cpuMs, peakMB, each value from its documented set;
/// within a file the nine keys identify a row. RobustNode's rows of the benchmark's own objective at the first thread
/// count go to the file asked for, the others beside it (FILE.standard.json, FILE.threads2.json, FILE.pytorch.json with
/// engine "pytorch"). Checked on tiny runs of the real program, on both engines.
/// </summary>
public sealed class BenchmarkJsonTests : IDisposable
{
    private static readonly string[] Keys = ["benchmark", "method", "engine", "layers", "batch", "dim", "wallMs", "cpuMs", "peakMB"];
    private static readonly string[] Methods = ["autograd", "double-backprop", "discrete", "stored", "checkpoint", "backsolve", "forward"];
    private readonly string _folder = Directory.CreateTempSubdirectory("robustnode-benchmark-json-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static JsonElement[] Rows(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        var rows = document.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
        var keys = rows.Select(r => string.Join("/", new[] { "benchmark", "method", "engine", "layers", "batch", "dim" }.Select(k => r.GetProperty(k).ToString()))).ToArray();
        Assert.Equal(keys.Length, keys.Distinct().Count());
        return rows;
    }

    private static void AssertRow(JsonElement row, string benchmark, string[] engines)
    {
        Assert.Equal(Keys, row.EnumerateObject().Select(p => p.Name));
        Assert.Equal(benchmark, row.GetProperty("benchmark").GetString());
        Assert.Contains(row.GetProperty("method").GetString(), Methods);
        Assert.Contains(row.GetProperty("engine").GetString(), engines);
        foreach (var key in new[] { "layers", "batch", "dim" }) Assert.True(row.GetProperty(key).GetInt32() > 0, key);
        foreach (var key in new[] { "wallMs", "cpuMs" }) Assert.True(row.GetProperty(key).GetDouble() >= 0, key);
        var peak = row.GetProperty("peakMB");
        Assert.True(peak.ValueKind is JsonValueKind.Null || (peak.ValueKind is JsonValueKind.Number && peak.GetDouble() >= 0), "peakMB is a number or null");
    }

    private static string[] Pairs(IEnumerable<JsonElement> rows) =>
        rows.Select(r => $"{r.GetProperty("method").GetString()} {r.GetProperty("engine").GetString()}").Order().ToArray();

    [Fact]
    public void Augmented_benchmark_writes_the_documented_rows_for_both_engines()
    {
        string json = Path.Combine(_folder, "augmented.json"), page = Path.Combine(_folder, "augmented.md");
        var (code, output, error) = BenchmarkProgram.Run("augmented", "--layers", "1", "--batch", "4", "--dim", "2", "--quick",
            "--engine", "torch,managed", "--json", json, "--out", page);
        Assert.True(code == 0, $"exit {code}: {error}{output}");

        var rows = Rows(json);
        foreach (var row in rows) AssertRow(row, "augmented", ["torch", "managed"]);
        Assert.Equal(["backsolve managed", "backsolve torch", "discrete managed", "discrete torch", "double-backprop torch"], Pairs(rows));
        Assert.All(rows, r => Assert.Equal(JsonValueKind.Number, r.GetProperty("peakMB").ValueKind));
        Assert.All(rows, r => Assert.Equal((1, 4, 2), (r.GetProperty("layers").GetInt32(), r.GetProperty("batch").GetInt32(), r.GetProperty("dim").GetInt32())));
        // The first-order unit of cost is a standard-objective row: beside the file.
        var standard = Rows(Path.Combine(_folder, "augmented.standard.json"));
        foreach (var row in standard) AssertRow(row, "augmented", ["torch", "managed"]);
        Assert.Equal(["discrete managed", "discrete torch"], Pairs(standard));
        var text = File.ReadAllText(page);
        Assert.Contains("## Engines side by side", text);
        Assert.Contains("torch ÷ managed", text);

        var beside = Path.Combine(_folder, "augmented.pytorch.json");
        if (new PyTorchFactAttribute().Skip is null)
        {
            Assert.Contains("## Against PyTorch in the same run", text);
            Assert.Contains("PyTorch ÷ managed", text);
            var theirs = Rows(beside);
            foreach (var row in theirs) AssertRow(row, "augmented", ["pytorch"]);
            Assert.Equal(["double-backprop"], theirs.Select(r => r.GetProperty("method").GetString()!));
            var theirsStandard = Rows(Path.Combine(_folder, "augmented.standard.pytorch.json"));
            Assert.Equal(["autograd"], theirsStandard.Select(r => r.GetProperty("method").GetString()!));
        }
        else Assert.False(File.Exists(beside));
    }

    [Fact]
    public void Without_memory_peakMB_is_null_and_sizes_vary_one_at_a_time()
    {
        string json = Path.Combine(_folder, "gradients.json");
        var (code, output, error) = BenchmarkProgram.Run("gradients", "--layers", "1,2", "--batch", "4", "--dim", "2,3", "--quick",
            "--engine", "torch", "--no-memory", "--no-pytorch", "--json", json, "--out", Path.Combine(_folder, "gradients.md"));
        Assert.True(code == 0, $"exit {code}: {error}{output}");
        var rows = Rows(json);
        foreach (var row in rows) AssertRow(row, "gradients", ["torch"]);
        Assert.All(rows, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("peakMB").ValueKind));
        // Headline (N = 1, d = 2), then N = 2 at d = 2, then d = 3 at N = 1: six methods each.
        var sizes = rows.Select(r => (r.GetProperty("layers").GetInt32(), r.GetProperty("dim").GetInt32())).Distinct().ToArray();
        Assert.Equal([(1, 2), (2, 2), (1, 3)], sizes);
        Assert.Equal(18, rows.Length);
        Assert.False(File.Exists(Path.Combine(_folder, "gradients.pytorch.json")));
    }

    [Fact]
    public void Two_thread_counts_and_float64_write_a_file_per_thread_count()
    {
        string json = Path.Combine(_folder, "g.json");
        var (code, output, error) = BenchmarkProgram.Run("gradients", "--layers", "1", "--batch", "4", "--dim", "2", "--threads", "1,2", "--dtype", "float64",
            "--engine", "managed,torch", "--quick", "--no-memory", "--no-pytorch", "--json", json, "--out", Path.Combine(_folder, "g.md"));
        Assert.True(code == 0, $"exit {code}: {error}{output}");
        var one = Rows(json);
        var two = Rows(Path.Combine(_folder, "g.threads2.json"));
        foreach (var row in one.Concat(two)) AssertRow(row, "gradients", ["torch", "managed"]);
        Assert.Equal(Pairs(one), Pairs(two));
        Assert.Equal(11, one.Length);
        Assert.Contains("float64", File.ReadAllText(Path.Combine(_folder, "g.md")));
    }

    [Theory]
    [InlineData("gradients", "--engine", "torch,cuda", "unknown engine 'cuda'; known: torch, managed")]
    [InlineData("gradients", "--engine", "auto", "unknown engine 'auto'")]
    [InlineData("augmented", "--engine", "managed", "--engine: the baselines every ratio is measured against run on the torch engine; include it, e.g. --engine torch,managed")]
    [InlineData("gradients", "--dtype", "float16", "--dtype: expected float32 or float64, got 'float16'")]
    [InlineData("gradients", "--layers", "10,x", "--layers: expected a comma-separated list of positive integers, got '10,x'")]
    [InlineData("gradients", "--frobnicate", "1", "unknown option '--frobnicate'")]
    [InlineData("image-gradients", "--engine", "torch,managed", "image-gradients measures a convolutional network, which only torch can run: managed has no convolutions; use --engine torch")]
    [InlineData("train-epoch", "--engine", "managed", "train-epoch measures a convolutional network, which only torch can run: managed has no convolutions; use --engine torch")]
    public void Invalid_options_are_input_errors(string verb, string option, string value, string message)
    {
        var (code, output, error) = BenchmarkProgram.Run(verb, option, value, "--out", Path.Combine(_folder, "never.md"));
        Assert.True(code == 2, $"exit {code}: {error}{output}");
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(File.Exists(Path.Combine(_folder, "never.md")));
    }
}
