using System.Text.Json.Nodes;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Host.Composition;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Host;

[Collection(nameof(Collections.LibtorchThreadCount))]
public class SensitivityVerbTests
{
    private static HostRun Sensitivity(TempFolder folder, JsonObject problem, string outName = "out.json") =>
        Robustnode.Run(folder, ["sensitivity", "--problem", folder.Write("problem.json", problem.ToJsonString()), "--out", folder.File(outName)]);

    private static JsonObject WithCrossEntropy(JsonObject problem, double epsilon, string q, string mode = "discrete", string? adjoint = null)
    {
        int batch = problem["x0"]!.AsArray().Count, dim = problem["dim"]!.GetValue<int>();
        problem["loss"] = "cross-entropy";
        problem["labels"] = new JsonArray(Enumerable.Range(0, batch).Select(i => (JsonNode)JsonValue.Create(i % dim)!).ToArray());
        problem["epsilon"] = epsilon;
        problem["q"] = q == "inf" ? "inf" : JsonValue.Create(int.Parse(q));
        problem["mode"] = mode;
        if (adjoint is not null) problem["adjoint"] = adjoint;
        return problem;
    }

    private static double[] Flat(JsonNode node) => node is JsonArray a ? a.SelectMany(n => Flat(n!)).ToArray() : [node.GetValue<double>()];

    [Theory]
    [InlineData("inf")]
    [InlineData("2")]
    [InlineData("1")]
    public void Node_tanh_writes_every_key_and_matches_the_library(string q)
    {
        using var folder = new TempFolder();
        var problem = WithCrossEntropy(ProblemSamples.NodeTanh(dim: 3, steps: 4, batch: 5), 0.2, q);
        var run = Sensitivity(folder, problem);
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var json = JsonNode.Parse(File.ReadAllText(folder.File("out.json")))!;
        foreach (var key in new[] { "loss", "augmentedLoss", "gradX0", "inputSensitivity", "gradWeights", "gradBiases", "augmentedGradWeights", "augmentedGradBiases", "stats" })
            Assert.True(json[key] is not null, $"missing key {key}");

        using var scope = NewDisposeScope();
        var w = tensor(Flat(problem["weights"]!), [4, 3, 3], ScalarType.Float64);
        var b = tensor(Flat(problem["biases"]!), [4, 3], ScalarType.Float64);
        var x0 = tensor(Flat(problem["x0"]!), [5, 3], ScalarType.Float64);
        var field = NeuralOdeField.Create(w, b, problem["T"]!.GetValue<double>()).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        var labels = tensor(Enumerable.Range(0, 5).Select(i => (long)(i % 3)).ToArray());
        var expected = Sensitivities.AugmentedGradient(
            new SensitivityProblem<Tensor>(field, x0, CrossEntropyLoss.Create(labels), SolverCatalog.Fixed(SolverCatalog.BuiltIn[problem["solver"]!.GetValue<string>()])),
            new AugmentedLoss(0.2, AttackNorm.Parse(q)!)).Match(g => g, e => throw new InvalidOperationException(e.Message));
        Assert.Equal(expected.AugmentedLoss, json["augmentedLoss"]!.GetValue<double>(), 12);
        var actual = Flat(json["augmentedGradWeights"]!);
        var reference = expected.AugmentedControlGradients[0].data<double>().ToArray();
        for (int i = 0; i < reference.Length; i++) Assert.Equal(reference[i], actual[i], 12);
        var gradX0 = Flat(json["gradX0"]!);
        var p0 = expected.FirstOrder.InputSensitivity.data<double>().ToArray();
        for (int i = 0; i < p0.Length; i++) Assert.Equal(p0[i] / 5, gradX0[i], 12);
    }

    [Theory]
    [InlineData("stored")]
    [InlineData("checkpoint")]
    [InlineData("backsolve")]
    public void Continuous_modes_agree_with_the_discrete_adjoint_to_the_solver_accuracy(string adjoint)
    {
        using var folder = new TempFolder();
        var discrete = WithCrossEntropy(ProblemSamples.NodeTanh(dim: 3, steps: 8, batch: 4), 0.1, "inf");
        var continuous = WithCrossEntropy(discrete.DeepClone().AsObject(), 0.1, "inf", "continuous", adjoint);
        Assert.Equal(ExitCodes.Success, Sensitivity(folder, discrete, "d.json").ExitCode);
        var run = Sensitivity(folder, continuous, "c.json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var d = Flat(JsonNode.Parse(File.ReadAllText(folder.File("d.json")))!["augmentedGradWeights"]!);
        var c = Flat(JsonNode.Parse(File.ReadAllText(folder.File("c.json")))!["augmentedGradWeights"]!);
        double scale = d.Max(Math.Abs);
        for (int i = 0; i < d.Length; i++) Assert.True(Math.Abs(d[i] - c[i]) <= 1e-3 * scale, $"component {i}: {d[i]} vs {c[i]}");
    }

    [Fact]
    public void Linear_field_writes_gradA()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.LinearConstantSteps("rk4", dim: 3, steps: 4, batch: 3);
        problem["loss"] = "square";
        problem["targets"] = JsonNode.Parse("[[1,0,0],[0,1,0],[0,0,1]]");
        problem["epsilon"] = 0.05;
        var run = Sensitivity(folder, problem);
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var json = JsonNode.Parse(File.ReadAllText(folder.File("out.json")))!;
        Assert.Equal(9, Flat(json["gradA"]!).Length);
        Assert.Equal(9, Flat(json["augmentedGradA"]!).Length);
    }

    [Fact]
    public void A_problem_without_a_loss_is_refused_and_writes_nothing()
    {
        using var folder = new TempFolder();
        var run = Sensitivity(folder, ProblemSamples.NodeTanh(dim: 3, steps: 2, batch: 2));
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("$.loss", run.Error);
        Assert.False(File.Exists(folder.File("out.json")));
    }

    [Fact]
    public void A_blow_up_fails_cleanly_and_keeps_the_previous_output()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("out.json"), "previous");
        var problem = WithCrossEntropy(ProblemSamples.NodeTanh(dim: 3, steps: 2, batch: 2), 0.1, "inf");
        problem["weights"]![0]![0]![0] = 1e308;
        problem["biases"]![0]![0] = 1e308;
        var run = Sensitivity(folder, problem);
        Assert.Equal(ExitCodes.ComputationFailed, run.ExitCode);
        Assert.Equal("previous", File.ReadAllText(folder.File("out.json")));
    }
}
