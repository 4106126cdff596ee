using System.Diagnostics;
using System.Text.Json.Nodes;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Oracles;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Benchmarks;

/// <summary>
/// The PyTorch side of the nODE benchmarks (Benchmarks/oracles/node_benchmark.py) computes the gradients the benchmark
/// compares it with: its RK4 loop, differentiated once (∇J) and twice (∇𝒥, ε = 0.1, q = ∞), equals RobustNode's discrete
/// adjoints in float64, on TorchSharp and on the managed engine. So a speed-up over it is a speed-up at computing the same thing.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class PyTorchBaselineTests
{
    private const double Epsilon = 0.1;

    private static JsonArray Json(Tensor t) => (JsonArray)JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Nested(t)))!;

    private static object Nested(Tensor t) => t.dim() == 0 ? t.item<double>() : Enumerable.Range(0, (int)t.shape[0]).Select(i => Nested(t[i])).ToArray();

    private static double[] Flat(JsonNode node) => node is JsonArray a ? a.SelectMany(n => Flat(n!)).ToArray() : [(double)node];

    private static double RelativeDifference(Tensor ours, JsonNode theirs)
    {
        var a = ours.to(float64).flatten().data<double>().ToArray();
        var b = Flat(theirs);
        Assert.Equal(a.Length, b.Length);
        double scale = b.Max(Math.Abs);
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Max() / scale;
    }

    private static NodeProblem Drawn() => NodeProblem.Draw(seed: 11, dim: 3, batch: 5, layers: 4, LossKind.CrossEntropy, scale: 1.5);

    /// <summary>The script's gradients, one Python run shared by both engines.</summary>
    private static readonly Lazy<JsonNode> Answer = new(() =>
    {
        using var scope = NewDisposeScope();
        var problem = Drawn();
        return Run(new JsonObject
        {
            ["check"] = new JsonObject
            {
                ["weights"] = Json(problem.Weights), ["biases"] = Json(problem.Biases), ["x0"] = Json(problem.X0),
                ["labels"] = new JsonArray(problem.Labels.data<long>().ToArray().Select(l => (JsonNode)JsonValue.Create(l)).ToArray()),
                ["epsilon"] = Epsilon,
            },
        });
    });

    public static TheoryData<string> Engines() => OracleEngine.Names();

    [PyTorchTheory]
    [MemberData(nameof(Engines))]
    public void Node_benchmark_script_computes_the_discrete_adjoint_gradients(string engine)
    {
        using var scope = NewDisposeScope();
        var library = Drawn().Problem(SolverCatalog.Fixed(Tableaux.Rk4));
        var first = OracleEngine.Gradient(engine, library, AdjointMode.Discrete);
        var second = OracleEngine.AugmentedGradient(engine, library, new AugmentedLoss(Epsilon, AttackNorm.Infinity), AdjointMode.Discrete);
        var answer = Answer.Value;

        Assert.True(RelativeDifference(first.ControlGradients[0], answer["gradWeights"]!) < 1e-10);
        Assert.True(RelativeDifference(first.ControlGradients[1], answer["gradBiases"]!) < 1e-10);
        Assert.True(RelativeDifference(second.AugmentedControlGradients[0], answer["augmentedGradWeights"]!) < 1e-10);
        Assert.True(RelativeDifference(second.AugmentedControlGradients[1], answer["augmentedGradBiases"]!) < 1e-10);
    }

    [PyTorchFact]
    public void Node_benchmark_script_times_one_round_per_request_after_its_warm_up()
    {
        // The conversation of --rounds (the benchmarks alternate its rounds with their own): the request, then one
        // answer per "round", then "end" with the memory answer.
        var lines = string.Join("\n",
            new JsonObject
            {
                ["layers"] = 2, ["batch"] = 4, ["dim"] = 3, ["threads"] = 1, ["dtype"] = "float32", ["epsilon"] = Epsilon, ["seed"] = 1,
                ["methods"] = new JsonArray("forward", "double-backprop"), ["memory"] = false,
                ["plan"] = new JsonObject { ["minWarmUpRuns"] = 1, ["warmUpSeconds"] = 0, ["roundSeconds"] = 0, ["minRounds"] = 3, ["maxRounds"] = 3 },
            }.ToJsonString(), "round", "round", "round", "end") + "\n";
        var answers = Script(["--rounds"], lines).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();

        Assert.Equal(5, answers.Length);
        Assert.Equal(2, answers[0]["typicalMs"]!.AsArray().Count);
        foreach (var round in answers[1..4])
            foreach (var key in new[] { "wallMs", "cpuMs" })
                Assert.All(round[key]!.AsArray(), t => Assert.True((double)t! >= 0));
        Assert.Equal(["forward", "double-backprop"], answers[4]["results"]!.AsArray().Select(r => (string)r!["method"]!));
    }

    private static JsonNode Run(JsonObject request) => JsonNode.Parse(Script([], request.ToJsonString()))!;

    private static string Script(string[] arguments, string input)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "oracles", "node_benchmark.py");
        var start = new ProcessStartInfo(PyTorchFactAttribute.Python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(120_000), "node_benchmark.py did not finish in two minutes");
        Assert.True(process.ExitCode == 0, $"node_benchmark.py failed: {error.Result}");
        return output.Result;
    }
}
