using System.Text.Json.Nodes;
using RobustNode.Benchmarks.Results;
using RobustNode.Benchmarks.Sensitivity;

namespace RobustNode.Benchmarks.PyTorch;

/// <summary>
/// The PyTorch side of the nODE benchmarks (oracles/node_benchmark.py): the same network as
/// <see cref="BenchmarkProblem"/> written as an RK4 loop in PyTorch 1.13, timed inside Python by the same protocol
/// (<see cref="TimingPlan"/>), one script per size, whose timed rounds alternate with the .NET methods' rounds at that size.
/// </summary>
internal static class NodeBaseline
{
    public const string Script = "node_benchmark.py";

    /// <summary>A PyTorch method: its name in the tables, its JSON method, objective, and what it computes.</summary>
    public sealed record Method(string Name, string JsonMethod, string? Objective, string Description);

    public static readonly Method Forward = new("pytorch forward", "forward", null, "the RK4 loop under `torch.no_grad()`");
    public static readonly Method Backprop = new("pytorch backprop", "autograd", BenchmarkRow.Standard,
        "∇_W J, ∇_b J by one backward pass through the RK4 loop (`torch.autograd.grad`)");
    public static readonly Method DoubleBackprop = new("pytorch double-backprop", "double-backprop", BenchmarkRow.Augmented,
        "∇_W 𝒥, ∇_b 𝒥 by double backpropagation (`create_graph=True`, then a second backward pass)");

    /// <summary>
    /// Starts the PyTorch side at a size for timing in rounds alternating with the .NET methods (it warms up first), or
    /// returns null (after one line saying why) when PyTorch is missing or the run asked for no PyTorch side.
    /// </summary>
    public static IBaselineRounds? Start(BenchmarkRun run, BenchmarkSize size, IReadOnlyList<Method> methods, double epsilon)
    {
        if (!run.PyTorch || PyTorchScript.Missing is not null) return null;
        var request = new JsonObject
        {
            ["layers"] = size.Layers, ["batch"] = size.Batch, ["dim"] = size.Dim, ["threads"] = size.Threads, ["dtype"] = size.Precision,
            ["epsilon"] = epsilon, ["seed"] = (long)BenchmarkProblem.Seed,
            ["methods"] = new JsonArray(methods.Select(m => (JsonNode)JsonValue.Create(m.JsonMethod)!).ToArray()),
            ["memory"] = run.MeasureMemory && size.Threads == run.Threads[0],
            ["plan"] = run.Plan.ToJson(),
        };
        var conversation = ScriptConversation.Start(Script, request, size.Threads);
        try
        {
            var typical = conversation.Answer()["typicalMs"]!.AsArray().Select(t => (double)t!).ToArray();
            return new Rounds(conversation, size, methods, typical);
        }
        catch
        {
            conversation.Dispose();
            throw;
        }
    }

    /// <summary>The script at one size, answering one round per request.</summary>
    private sealed class Rounds(ScriptConversation conversation, BenchmarkSize size, IReadOnlyList<Method> methods, IReadOnlyList<double> typical) : IBaselineRounds
    {
        public IReadOnlyList<double> TypicalMilliseconds => typical;

        public (double[] Wall, double[] Cpu) Round()
        {
            conversation.Send("round");
            var answer = conversation.Answer();
            return (answer["wallMs"]!.AsArray().Select(t => (double)t!).ToArray(), answer["cpuMs"]!.AsArray().Select(t => (double)t!).ToArray());
        }

        public IReadOnlyList<Measurement> Finish(double[] wall, double[] cpu)
        {
            var results = conversation.Close("end")["results"]!.AsArray();
            return methods.Select((m, i) =>
            {
                var r = results[i]!;
                return new Measurement(m.Name, m.JsonMethod, m.Objective, BenchmarkRow.PyTorch, size, wall[i], cpu[i],
                    (long?)r["peakBytes"], (long?)r["peakMostBytes"], double.NaN, double.NaN);
            }).ToArray();
        }

        public void Dispose() => conversation.Dispose();
    }

    /// <summary>The line a page and the console show about the PyTorch side.</summary>
    public static string Status(BenchmarkRun run) =>
        !run.PyTorch ? "PyTorch side not run (--no-pytorch)."
        : PyTorchScript.Missing is { } why ? $"PyTorch side skipped: {why}."
        : $"PyTorch side: PyTorch {PyTorchScript.Version} (Debian python3-torch) through {PyTorchScript.Python}, Benchmarks/oracles/{Script}.";
}
