using System.Text.Json.Nodes;
using RobustNode.Core.Spectral;
using RobustNode.Host.Composition;
using RobustNode.Tests.Host;
using RobustNode.Tests.Oracles;
using Xunit;

namespace RobustNode.Tests.Structure;

/// <summary>
/// Problem files with <c>"field": "gradient-flow"</c>: the <c>sensitivity</c> verb's J, 𝒥, ∇_{x₀}J and first- and
/// second-order control gradients equal PyTorch autograd and double backpropagation of the same file (the oracle reads
/// the file itself) on TorchSharp and on the managed engine; files whose step breaks the bound of a contractive layer are refused unless
/// <c>"unconstrained": true</c>, and every other mistake is named by its JSON path.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public sealed class GradientFlowProblemFiles
{
    private static readonly string[] Keys = ["loss", "augmentedLoss", "gradX0", "gradWeights", "gradBiases", "augmentedGradWeights", "augmentedGradBiases"];

    /// <summary>A random file: A [N, m, d] with contractive layers scaled to h·sup σ'·‖A‖² = 2·fraction.</summary>
    private static JsonObject Problem(int seed, string solver, string activation, string q, double fraction = 0.9, bool expansive = true)
    {
        var rng = new Random(seed);
        int n = rng.Next(1, 4), m = rng.Next(1, 6), d = rng.Next(2, 5), batch = rng.Next(1, 5);
        double t = 0.5 + rng.NextDouble(), h = t / n;
        double slope = activation == "sigmoid" ? 0.25 : 1;
        var directions = Enumerable.Range(0, n).Select(k => expansive && k % 2 == 1 ? "expansive" : "contractive").ToArray();
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var weights = new JsonArray();
        for (int k = 0; k < n; k++)
        {
            var a = Enumerable.Range(0, m * d).Select(_ => Gaussian()).ToArray();
            double norm = DenseSpectrum.SpectralNorm(a, m, d);
            double scale = directions[k] == "contractive" ? Math.Sqrt(2 * fraction / (h * slope)) / norm : 0.8;
            weights.Add(new JsonArray(Enumerable.Range(0, m).Select(i =>
                (JsonNode)new JsonArray(Enumerable.Range(0, d).Select(j => (JsonNode)JsonValue.Create(a[i * d + j] * scale)!).ToArray())).ToArray()));
        }
        JsonArray Matrix(int rows, int cols, double s) => new(Enumerable.Range(0, rows).Select(_ =>
            (JsonNode)new JsonArray(Enumerable.Range(0, cols).Select(_ => (JsonNode)JsonValue.Create(s * Gaussian())!).ToArray())).ToArray());
        return new JsonObject
        {
            ["field"] = "gradient-flow",
            ["dim"] = d,
            ["steps"] = n,
            ["T"] = t,
            ["solver"] = solver,
            ["activation"] = activation,
            ["direction"] = new JsonArray(directions.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()),
            ["weights"] = weights,
            ["biases"] = Matrix(n, m, 0.5),
            ["x0"] = Matrix(batch, d, 1),
            ["loss"] = "cross-entropy",
            ["labels"] = new JsonArray(Enumerable.Range(0, batch).Select(i => (JsonNode)JsonValue.Create(rng.Next(d))!).ToArray()),
            ["epsilon"] = 0.1,
            ["q"] = q == "inf" ? "inf" : JsonValue.Create(int.Parse(q)),
        };
    }

    private static HostRun Verb(TempFolder folder, string verb, JsonObject problem, string name = "problem") =>
        Robustnode.Run(folder, [verb, "--problem", folder.Write(name + ".json", problem.ToJsonString()), "--out", folder.File(name + ".out.json")]);

    private static double[] Flat(JsonNode node) => node is JsonArray a ? a.SelectMany(n => Flat(n!)).ToArray() : [node.GetValue<double>()];

    /// <summary>The random files, in a fixed order (without an engine).</summary>
    private static List<JsonObject> Problems()
    {
        var problems = new List<JsonObject>();
        int seed = 500;
        foreach (var (solver, activation, q) in new[]
                 {
                     ("euler", "tanh", "inf"), ("euler", "relu", "2"), ("euler", "softplus", "1"), ("rk4", "tanh", "2"),
                     ("heun", "sigmoid", "inf"), ("midpoint", "identity", "2"), ("euler", "relu", "inf"),
                 })
            problems.Add(Problem(seed++, solver, activation, q));
        return problems;
    }

    /// <summary>PyTorch's answers, one Python run for every file, shared by both engines.</summary>
    private static readonly Lazy<IReadOnlyList<JsonObject>> Answers = new(() => PyTorchReference.Solve(Problems()));

    public static TheoryData<string> Engines() => OracleEngine.Names();

    [PyTorchTheory]
    [MemberData(nameof(Engines))]
    public void Sensitivities_of_gradient_flow_files_equal_pytorch(string engine)
    {
        using var folder = new TempFolder();
        var problems = Problems();
        var answers = Answers.Value;
        var failures = new List<string>();
        for (int i = 0; i < problems.Count; i++)
        {
            problems[i]["engine"] = engine;
            var run = Verb(folder, "sensitivity", problems[i], $"p{i}");
            Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
            var ours = JsonNode.Parse(File.ReadAllText(folder.File($"p{i}.out.json")))!;
            foreach (var key in Keys)
            {
                var a = Flat(ours[key]!);
                var e = Flat(answers[i][key]!);
                double scale = Math.Max(e.Max(Math.Abs), 1e-300);
                double error = a.Zip(e, (x, y) => Math.Abs(x - y)).Max() / scale;
                if (a.Length != e.Length || error > 1e-9)
                    failures.Add($"problem {i} ({problems[i]["solver"]}, {problems[i]["activation"]}, q = {problems[i]["q"]}) on {engine}: {key} off by {error:E2}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void The_sample_file_solves_and_differentiates()
    {
        using var folder = new TempFolder();
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "samples", "Problems", "gradient-flow.json")))!.AsObject();
        foreach (var verb in new[] { "solve", "sensitivity" })
        {
            var run = Verb(folder, verb, sample, verb);
            Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        }
        var result = JsonNode.Parse(File.ReadAllText(folder.File("sensitivity.out.json")))!;
        Assert.Equal(4, result["gradWeights"]!.AsArray().Count);
        Assert.Equal(5, result["gradWeights"]![0]!.AsArray().Count);
        Assert.Equal(3, result["gradWeights"]![0]![0]!.AsArray().Count);
        Assert.Equal(5, result["augmentedGradBiases"]![0]!.AsArray().Count);
        Assert.NotNull(result["inputSensitivity"]);
    }

    [Fact]
    public void A_step_above_the_bound_of_a_contractive_layer_is_refused_unless_unconstrained()
    {
        using var folder = new TempFolder();
        var problem = Problem(7, "euler", "tanh", "2", fraction: 1.5, expansive: false);
        var run = Verb(folder, "sensitivity", problem);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("$.weights[0]: the step h = ", run.Error);
        Assert.Contains("breaks the bound of this contractive layer", run.Error);
        Assert.Contains("\"unconstrained\": true", run.Error);
        Assert.DoesNotContain("   at ", run.Error);

        problem["unconstrained"] = true;
        var allowed = Verb(folder, "sensitivity", problem, "allowed");
        Assert.True(allowed.ExitCode == ExitCodes.Success, allowed.Error);

        // Expansive layers have no such bound, however large their weights.
        var expansive = Problem(8, "euler", "relu", "inf", fraction: 0.5, expansive: true);
        expansive["direction"] = "expansive";
        Assert.Equal(ExitCodes.Success, Verb(folder, "sensitivity", expansive, "expansive").ExitCode);
    }

    [Fact]
    public void Mistakes_in_gradient_flow_files_are_named_by_their_path()
    {
        using var folder = new TempFolder();
        var problem = Problem(9, "euler", "tanh", "2", expansive: false);
        int n = problem["steps"]!.GetValue<int>();
        problem["activation"] = "sine";
        problem["direction"] = new JsonArray(Enumerable.Range(0, n + 1).Select(_ => (JsonNode)JsonValue.Create("contractive")!).ToArray());
        problem["biases"]![0]!.AsArray().Add(0.5);
        var run = Verb(folder, "solve", problem);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("$.activation: 'sine' is not monotone, so it is not the derivative of a convex potential", run.Error);
        Assert.Contains("use tanh, relu, softplus, sigmoid or identity", run.Error);
        Assert.Contains("$.direction", run.Error);
        Assert.Contains("$.biases[0]", run.Error);

        var unknown = Problem(9, "euler", "tanh", "2", expansive: false);
        unknown["activation"] = "cube";
        var unknownRun = Verb(folder, "solve", unknown, "unknown");
        Assert.Equal(ExitCodes.InvalidInput, unknownRun.ExitCode);
        Assert.Contains("$.activation: expected one of", unknownRun.Error);

        var node = Problem(10, "euler", "tanh", "2");
        node["field"] = "node-tanh";
        var misplaced = Verb(folder, "solve", node, "node");
        Assert.Equal(ExitCodes.InvalidInput, misplaced.ExitCode);
        Assert.Contains("$.activation: not used by the \"node-tanh\" field", misplaced.Error);

        var adaptive = Problem(11, "dopri5", "tanh", "2", expansive: false);
        adaptive["adaptive"] = true;
        var refused = Verb(folder, "solve", adaptive, "adaptive");
        Assert.Equal(ExitCodes.InvalidInput, refused.ExitCode);
        Assert.Contains("adaptive steps cannot keep the step rule", refused.Error);
    }
}
