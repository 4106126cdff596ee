using System.Text.Json;
using RobustNode.Tests.Oracles;
using Xunit;

namespace RobustNode.Tests.Benchmarks;

/// <summary>
/// The contract of the benchmarks' <c>--json</c> files (docs/benchmarks/README.md): an array of objects with exactly the
/// keys benchmark, method, engine, layers, batch, dim, wallMs, cpuMs, peakMB and the two that tell rows apart, threads and
/// objective, each value from its documented set; RobustNode's rows in the file asked for, PyTorch's beside it with
/// engine "pytorch". Checked on a tiny run of the real program.
/// </summary>
public sealed class BenchmarkJsonTests : IDisposable
{
    private static readonly string[] Keys = ["benchmark", "method", "engine", "layers", "batch", "dim", "wallMs", "cpuMs", "peakMB", "threads", "objective"];
    private static readonly string[] Methods = ["autograd", "double-backprop", "discrete", "stored", "checkpoint", "backsolve", "forward"];
    private readonly string _folder = Directory.CreateTempSubdirectory("robustnode-benchmark-json-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static JsonElement[] Rows(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    private static void AssertRow(JsonElement row, string benchmark, string[] engines)
    {
        Assert.Equal(Keys.Order(), row.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(benchmark, row.GetProperty("benchmark").GetString());
        Assert.Contains(row.GetProperty("method").GetString(), Methods);
        Assert.Contains(row.GetProperty("engine").GetString(), engines);
        foreach (var key in new[] { "layers", "batch", "dim", "threads" }) Assert.True(row.GetProperty(key).GetInt32() > 0, key);
        foreach (var key in new[] { "wallMs", "cpuMs" }) Assert.True(row.GetProperty(key).GetDouble() >= 0, key);
        var peak = row.GetProperty("peakMB");
        Assert.True(peak.ValueKind is JsonValueKind.Null || (peak.ValueKind is JsonValueKind.Number && peak.GetDouble() >= 0), "peakMB is a number or null");
        var objective = row.GetProperty("objective");
        if (row.GetProperty("method").GetString() == "forward") Assert.Equal(JsonValueKind.Null, objective.ValueKind);
        else Assert.Contains(objective.GetString(), new[] { "standard", "augmented" });
    }

    [Fact]
    public void Augmented_benchmark_writes_the_documented_rows()
    {
        string json = Path.Combine(_folder, "augmented.json"), page = Path.Combine(_folder, "augmented.md");
        var (code, output, error) = BenchmarkProgram.Run("augmented", "--layers", "1", "--batch", "4", "--dim", "2", "--quick",
            "--engine", "torch,managed", "--json", json, "--out", page);
        Assert.True(code == 0, $"exit {code}: {error}{output}");
        Assert.Contains("engine 'managed' is not available yet", output);

        var rows = Rows(json);
        foreach (var row in rows) AssertRow(row, "augmented", ["torch"]);
        Assert.Equal(["backsolve", "discrete", "discrete", "double-backprop"], rows.Select(r => r.GetProperty("method").GetString()!).Order());
        Assert.Equal(["augmented", "augmented", "augmented", "standard"], rows.Select(r => r.GetProperty("objective").GetString()!).Order());
        Assert.All(rows, r => Assert.Equal(JsonValueKind.Number, r.GetProperty("peakMB").ValueKind));
        Assert.All(rows, r => Assert.Equal((1, 4, 2, 1), (r.GetProperty("layers").GetInt32(), r.GetProperty("batch").GetInt32(), r.GetProperty("dim").GetInt32(), r.GetProperty("threads").GetInt32())));
        Assert.Contains("## Against PyTorch in the same run", File.ReadAllText(page));

        var beside = Path.Combine(_folder, "augmented.pytorch.json");
        if (new PyTorchFactAttribute().Skip is null)
        {
            var theirs = Rows(beside);
            foreach (var row in theirs) AssertRow(row, "augmented", ["pytorch"]);
            Assert.Equal(["autograd", "double-backprop"], theirs.Select(r => r.GetProperty("method").GetString()!).Order());
        }
        else Assert.False(File.Exists(beside));
    }

    [Fact]
    public void Without_memory_peakMB_is_null_and_sizes_vary_one_at_a_time()
    {
        string json = Path.Combine(_folder, "gradients.json");
        var (code, output, error) = BenchmarkProgram.Run("gradients", "--layers", "1,2", "--batch", "4", "--dim", "2,3", "--quick",
            "--no-memory", "--no-pytorch", "--json", json, "--out", Path.Combine(_folder, "gradients.md"));
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

    [Theory]
    [InlineData("--engine", "torch,cuda", "unknown engine 'cuda'; known: torch, managed")]
    [InlineData("--engine", "managed", "none of managed can be measured yet")]
    [InlineData("--layers", "10,x", "--layers: expected a comma-separated list of positive integers, got '10,x'")]
    [InlineData("--frobnicate", "1", "unknown option '--frobnicate'")]
    public void Invalid_options_are_input_errors(string option, string value, string message)
    {
        var (code, output, error) = BenchmarkProgram.Run("gradients", option, value, "--out", Path.Combine(_folder, "never.md"));
        Assert.True(code == 2, $"exit {code}: {error}{output}");
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(File.Exists(Path.Combine(_folder, "never.md")));
    }
}
