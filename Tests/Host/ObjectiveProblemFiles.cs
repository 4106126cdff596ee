using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using RobustNode.Tests.Oracles;
using Xunit;

namespace RobustNode.Tests.Host;

/// <summary>
/// The robust objectives through problem files (<c>"objective"</c>, with the random draw in <c>"perturbation"</c>): the
/// <c>sensitivity</c> verb writes each objective's value and control gradients, which equal PyTorch's — its own autograd
/// transcription of the perturbations and double backpropagation through the same Runge–Kutta recursion
/// (Oracles/pytorch_reference.py) — to 1e-9, for every objective, three norms and three schemes, on TorchSharp and on the
/// managed engine (<c>"engine"</c>), both against the same PyTorch answers; bad objectives are refused
/// with their JSON paths.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public class ObjectiveProblemFiles
{
    private const double Tolerance = 1e-9;

    private static readonly string[] Names = ["fgsm-rs", "trades", "gradalign", "llr", "augmented-adversarial"];

    /// <summary>A node-tanh problem with cross-entropy labels and the objective, its perturbation uniform in [−ε, ε].</summary>
    internal static JsonObject Problem(string name, string q, string solver, int seed)
    {
        const int dim = 3, batch = 5;
        var problem = ProblemSamples.NodeTanh(dim: dim, steps: 3, batch: batch, seed: seed);
        problem["solver"] = solver;
        problem["loss"] = "cross-entropy";
        problem["labels"] = new JsonArray(Enumerable.Range(0, batch).Select(i => (JsonNode?)JsonValue.Create((i + seed) % dim)).ToArray());
        var random = new Random(seed * 31 + name.Length);
        const double epsilon = 0.3;
        double scale = name == "trades" ? 0.001 : epsilon;
        var objective = new JsonObject
        {
            ["name"] = name,
            ["epsilon"] = epsilon,
            ["q"] = q == "inf" ? "inf" : JsonValue.Create(int.Parse(q)),
            ["perturbation"] = new JsonArray(Enumerable.Range(0, batch).Select(_ => (JsonNode?)new JsonArray(
                Enumerable.Range(0, dim).Select(_ => (JsonNode?)JsonValue.Create(Math.Round((random.NextDouble() * 2 - 1) * scale, 9))).ToArray())).ToArray()),
        };
        switch (name)
        {
            case "trades": objective["weight"] = 2.0; objective["steps"] = 3; break;
            case "gradalign": objective["weight"] = 0.5; break;
            case "llr": objective["linearityWeight"] = 3.0; objective["gradientWeight"] = 2.0; objective["steps"] = 2; break;
            case "augmented-adversarial": objective["weight"] = 0.25; break;
        }
        problem["objective"] = objective;
        return problem;
    }

    private static double[] Flat(JsonNode node) => node is JsonArray a ? a.SelectMany(n => Flat(n!)).ToArray() : [node.GetValue<double>()];

    private static double RelativeError(double[] actual, double[] expected)
    {
        double scale = expected.Select(Math.Abs).DefaultIfEmpty(0).Max(), difference = 0;
        for (int i = 0; i < expected.Length; i++) difference = Math.Max(difference, Math.Abs(actual[i] - expected[i]));
        return scale == 0 ? difference : difference / scale;
    }

    /// <summary>Every case: its label and problem file (without an engine), in a fixed order.</summary>
    private static IReadOnlyList<(string Label, JsonObject Problem)> Cases()
    {
        var cases = new List<(string, JsonObject)>();
        int seed = 1;
        foreach (var name in Names)
            foreach (var (q, solver) in new[] { ("inf", "rk4"), ("2", "euler"), ("1", "midpoint") })
                cases.Add(($"{name}, q = {q}, {solver}", Problem(name, q, solver, seed++)));
        return cases;
    }

    /// <summary>PyTorch's answers, one Python run for every case, shared by both engines.</summary>
    private static readonly Lazy<IReadOnlyList<JsonObject>> Answers = new(() => PyTorchReference.Solve(Cases().Select(c => c.Problem).ToArray()));

    public static TheoryData<string> Engines() => OracleEngine.Names();

    [PyTorchTheory]
    [MemberData(nameof(Engines))]
    public void Every_objective_of_a_problem_file_equals_pytorch_double_backprop(string engine)
    {
        using var folder = new TempFolder();
        var cases = Cases();
        var answers = Answers.Value;
        var failures = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            var (label, problem) = cases[i];
            problem["engine"] = engine;
            var path = folder.Write($"{i}.json", problem.ToJsonString());
            var run = Robustnode.Run(folder, ["sensitivity", "--problem", path, "--out", folder.File($"{i}.out.json")]);
            Assert.True(run.ExitCode == ExitCodes.Success, $"{label}: {run.Error}");
            var result = JsonNode.Parse(File.ReadAllText(folder.File($"{i}.out.json")))!.AsObject();
            var mine = result["objective"]!;
            var theirs = answers[i]["objective"]!;
            Assert.Equal(label.Split(',')[0], (string?)mine["name"]);
            foreach (var key in new[] { "loss", "value" })
            {
                double a = mine[key]!.GetValue<double>(), e = theirs[key]!.GetValue<double>();
                if (!(Math.Abs(a - e) <= Tolerance * Math.Max(1, Math.Abs(e)))) failures.Add($"{label}: {key} {a:R} vs PyTorch {e:R}");
            }
            foreach (var key in new[] { "gradWeights", "gradBiases" })
            {
                double error = RelativeError(Flat(mine[key]!), Flat(theirs[key]!));
                if (!(error <= Tolerance)) failures.Add($"{label}: {key} relative error {error:E2}");
            }
            // The objective's own term moved the value: it is not the clean loss.
            Assert.NotEqual(mine["loss"]!.GetValue<double>(), mine["value"]!.GetValue<double>());
        }
        Assert.True(failures.Count == 0, $"{failures.Count} disagreements with PyTorch on {engine}:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void The_verb_writes_the_objective_it_was_given_and_nothing_when_there_is_none()
    {
        using var folder = new TempFolder();
        var problem = Problem("gradalign", "inf", "rk4", 3);
        var run = Robustnode.Run(folder, ["sensitivity", "--problem", folder.Write("p.json", problem.ToJsonString()), "--out", folder.File("o.json")]);
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var json = JsonNode.Parse(File.ReadAllText(folder.File("o.json")))!;
        Assert.Equal(["name", "settings", "loss", "value", "gradWeights", "gradBiases"], json["objective"]!.AsObject().Select(p => p.Key));
        Assert.StartsWith("gradalign(epsilon=0.3, q=inf, weight=0.5,", (string?)json["objective"]!["settings"]);
        Assert.Equal(json["loss"]!.GetValue<double>(), json["objective"]!["loss"]!.GetValue<double>(), 14);

        problem.Remove("objective");
        var plain = Robustnode.Run(folder, ["sensitivity", "--problem", folder.Write("q.json", problem.ToJsonString()), "--out", folder.File("q.out.json")]);
        Assert.True(plain.ExitCode == ExitCodes.Success, plain.Error);
        Assert.Null(JsonNode.Parse(File.ReadAllText(folder.File("q.out.json")))!["objective"]);
    }

    [Fact]
    public void Bad_objectives_are_refused_naming_their_json_paths()
    {
        using var folder = new TempFolder();
        var problem = Problem("llr", "inf", "rk4", 4);
        var objective = problem["objective"]!.AsObject();
        objective["epsilon"] = 0;
        objective["q"] = 3;
        objective["steps"] = 0;
        objective["weight"] = 1.0;
        objective["perturbation"]!.AsArray().RemoveAt(0);
        var trades = Problem("trades", "inf", "rk4", 5);
        trades["loss"] = "square";
        trades.Remove("labels");
        trades["targets"] = trades["x0"]!.DeepClone();
        var unknown = Problem("gradalign", "inf", "rk4", 6);
        unknown["objective"]!["name"] = "madry";
        var lossless = Problem("fgsm-rs", "inf", "rk4", 7);
        lossless.Remove("loss");
        lossless.Remove("labels");

        string Error(JsonObject p, string file)
        {
            var run = Robustnode.Run(folder, ["sensitivity", "--problem", folder.Write(file, p.ToJsonString()), "--out", folder.File(file + ".out")]);
            Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
            Assert.False(File.Exists(folder.File(file + ".out")));
            return run.Error;
        }
        var llr = Error(problem, "llr.json");
        foreach (var expected in new[]
        {
            "$.objective.epsilon: must be positive, got 0", "$.objective.q: expected \"inf\", 2 or 1, got the number 3",
            "$.objective.steps: must be at least 1, got 0", "$.objective.weight: not a setting of \"llr\"", "$.objective.perturbation: expected 5 rows of 3, got 4",
        })
            Assert.Contains(expected, llr);
        Assert.Contains("$.objective: trades compares the class distributions of two outputs, so it needs \"loss\": \"cross-entropy\"", Error(trades, "trades.json"));
        Assert.Contains("$.objective.name: expected one of \"fgsm-rs\", \"trades\", \"gradalign\", \"llr\", \"augmented-adversarial\", got \"madry\"", Error(unknown, "unknown.json"));
        Assert.Contains("$.objective: an objective needs a \"loss\"", Error(lossless, "lossless.json"));
    }
}
