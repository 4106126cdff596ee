using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using RobustNode.Tests.Host;
using RobustNode.Tests.Oracles;
using Xunit;

namespace RobustNode.Tests.Benchmarks;

/// <summary>
/// <c>train-epoch</c> on a tiny network (width 8, one ODE layer, two batches of MNIST digits): RobustNode's trainers, the
/// same network in TorchSharp autograd and in PyTorch start from the same weights and see the same batches, so their
/// mean loss over the epoch agrees to float32 rounding — for the standard and the augmented objective; and the JSON rows
/// follow the contract.
/// </summary>
public sealed partial class TrainEpochTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("robustnode-train-epoch-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [GeneratedRegex(@"^\s+(standard|augmented)\s+(robustnode|torchsharp|pytorch)\s.*loss (\d+\.\d+)", RegexOptions.Multiline)]
    private static partial Regex LossLine();

    [MnistFact]
    public void Three_implementations_train_the_same_network()
    {
        string json = Path.Combine(_folder, "epoch.json");
        var (code, output, error) = BenchmarkProgram.Run("train-epoch", "--batches", "2", "--batch", "16", "--width", "8", "--layers", "1",
            "--warmup", "1", "--threads", "1", "--json", json, "--out", Path.Combine(_folder, "epoch.md"));
        Assert.True(code == 0, $"exit {code}: {error}{output}");
        var losses = LossLine().Matches(output).Select(m => (Objective: m.Groups[1].Value, Implementation: m.Groups[2].Value,
            Loss: double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture))).ToArray();
        bool pytorch = new PyTorchFactAttribute().Skip is null;
        Assert.Equal(pytorch ? 6 : 4, losses.Length);
        foreach (var group in losses.GroupBy(l => l.Objective))
            Assert.True(group.Max(l => l.Loss) - group.Min(l => l.Loss) < 2e-4, $"{group.Key}: {string.Join(", ", group.Select(l => $"{l.Implementation} {l.Loss}"))}");

        // The standard epochs in the file asked for, the augmented ones beside it; exactly the nine keys.
        JsonElement[] Rows(string path)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
        }
        var (standard, augmented) = (Rows(json), Rows(Path.Combine(_folder, "epoch.augmented.json")));
        foreach (var r in standard.Concat(augmented))
        {
            Assert.Equal(["benchmark", "method", "engine", "layers", "batch", "dim", "wallMs", "cpuMs", "peakMB"], r.EnumerateObject().Select(p => p.Name));
            Assert.Equal("train-epoch", r.GetProperty("benchmark").GetString());
            Assert.Equal("torch", r.GetProperty("engine").GetString());
            Assert.Equal(JsonValueKind.Null, r.GetProperty("peakMB").ValueKind);
        }
        Assert.Equal(["autograd", "discrete"], standard.Select(r => r.GetProperty("method").GetString()!).Order());
        Assert.Equal(["discrete", "double-backprop"], augmented.Select(r => r.GetProperty("method").GetString()!).Order());
        Assert.Equal(pytorch, File.Exists(Path.Combine(_folder, "epoch.pytorch.json")));
    }
}
