using System.Text.Json.Nodes;
using LanguageExt;
using RobustNode.Core.Norms;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Problems;
using Xunit;

namespace RobustNode.Tests.Host;

public class ProblemFileTests
{
    private static readonly ProblemFileParser Parser =
        new(new SolverRegistry([]), new SolverDefaults("rk4", 1, 1e-6, 1e-8, 100_000), CompositionRoot.Engines, new EngineSettings(EngineCatalog.Auto));

    private static ProblemFile Valid(string json) =>
        Parser.Parse(json).Match(Succ: p => p, Fail: e => throw new Xunit.Sdk.XunitException(string.Join("\n", e.Map(x => x.Message))));

    private static string[] Problems(string json) =>
        Parser.Parse(json).Match(Succ: _ => [], Fail: e => e.Map(x => x.Message).ToArray());

    private static string[] Problems(JsonObject problem) => Problems(problem.ToJsonString());

    private static JsonObject With(JsonObject problem, string key, JsonNode? value)
    {
        problem[key] = value;
        return problem;
    }

    private static JsonObject Without(JsonObject problem, params string[] keys)
    {
        foreach (var key in keys) problem.Remove(key);
        return problem;
    }

    [Fact]
    public void A_node_tanh_file_becomes_its_record()
    {
        var json = ProblemSamples.NodeTanh(dim: 3, steps: 4, batch: 2);
        var problem = Valid(json.ToJsonString());

        var field = Assert.IsType<ProblemField.NeuralOde>(problem.Field);
        Assert.Equal((3, 4, 1.0, 2), (problem.Dim, problem.Steps, problem.FinalTime, problem.Batch));
        Assert.Equal([4, 3, 3], Enumerable.Range(0, 3).Select(field.Weights.GetLength));
        Assert.Equal(json["weights"]![2]![1]![0]!.GetValue<double>(), field.Weights[2, 1, 0]);
        Assert.Equal(json["biases"]![3]![2]!.GetValue<double>(), field.Biases[3, 2]);
        Assert.Equal(json["x0"]![1]![2]!.GetValue<double>(), problem.X0[1, 2]);
        Assert.Equal(new SolverChoice("rk4", 1, false, 1e-6, 1e-8), problem.Solver);
        Assert.Null(problem.Loss);
        Assert.Equal((0.0, AttackNorm.Infinity, AdjointMode.Discrete, AdjointStorage.Stored), (problem.Epsilon, problem.Q, problem.Mode, problem.Adjoint));
    }

    [Fact]
    public void The_sensitivity_entries_are_parsed_too()
    {
        var json = ProblemSamples.NodeTanh(dim: 3, batch: 2);
        json["loss"] = "square";
        json["targets"] = JsonNode.Parse("[[1, 0, 0], [0, 1, 0.5]]");
        json["epsilon"] = 0.25;
        json["q"] = 2;
        json["mode"] = "continuous";
        json["adjoint"] = "backsolve";
        var problem = Valid(json.ToJsonString());

        var loss = Assert.IsType<ProblemLoss.Square>(problem.Loss);
        Assert.Equal(0.5, loss.Targets[1, 2]);
        Assert.Equal((0.25, AttackNorm.Two, AdjointMode.Continuous, AdjointStorage.Backsolve), (problem.Epsilon, problem.Q, problem.Mode, problem.Adjoint));

        json.Remove("targets");
        json["loss"] = "cross-entropy";
        json["labels"] = JsonNode.Parse("[2, 0]");
        json["q"] = "inf";
        Assert.Equal([2, 0], Assert.IsType<ProblemLoss.CrossEntropy>(Valid(json.ToJsonString()).Loss).Labels);
    }

    [Fact]
    public void A_linear_file_with_tolerances_is_adaptive()
    {
        var problem = Valid(ProblemSamples.Linear().ToJsonString());

        Assert.IsType<ProblemField.Linear>(problem.Field);
        Assert.Equal(new SolverChoice("dopri5", 1, true, 1e-10, 1e-12), problem.Solver);
    }

    [Fact]
    public void Adaptive_true_takes_the_default_tolerances()
    {
        var json = Without(ProblemSamples.Linear(), "rtol", "atol");
        json["adaptive"] = true;
        Assert.Equal(new SolverChoice("dopri5", 1, true, 1e-6, 1e-8), Valid(json.ToJsonString()).Solver);
    }

    [Fact]
    public void Comments_and_trailing_commas_are_allowed()
    {
        var json = ProblemSamples.NodeTanh().ToJsonString();
        Valid("// a problem\n" + json[..^1] + ", /* done */ }");
    }

    [Theory]
    [InlineData("x0", "$.x0: missing")]
    [InlineData("field", "$.field: missing")]
    [InlineData("weights", "$.weights: missing")]
    [InlineData("T", "$.T: missing")]
    public void A_missing_key_is_named(string key, string expected) =>
        Assert.Contains(expected, Problems(Without(ProblemSamples.NodeTanh(), key)));

    [Fact]
    public void A_weight_matrix_with_a_missing_row_is_named_by_its_path()
    {
        var json = ProblemSamples.NodeTanh(dim: 3, steps: 4);
        json["weights"]![2]!.AsArray().RemoveAt(0);
        Assert.Equal(["$.weights[2]: expected 3 rows of 3, got 2"], Problems(json));
    }

    [Fact]
    public void NaN_is_named_by_its_path()
    {
        var json = ProblemSamples.NodeTanh();
        json["x0"]![1]![0] = "NaN";
        json["biases"]![0]![2] = "-Infinity";
        Assert.Equal(["$.biases[0][2]: an infinite value is not allowed", "$.x0[1][0]: NaN is not allowed"], Problems(json).Order());
    }

    [Fact]
    public void A_bare_NaN_token_is_bad_json_with_a_hint()
    {
        var problems = Problems("{\n  \"x0\": [[NaN, 1]]\n}");
        var message = Assert.Single(problems);
        Assert.StartsWith("$: not valid JSON at line 2, column 11:", message);
        Assert.EndsWith("(NaN and infinite values are not allowed)", message);
    }

    [Fact]
    public void An_unknown_solver_is_named() =>
        Assert.Contains("$.solver: unknown solver 'foo'; known: euler, midpoint, heun, ralston, kutta3, ssprk3, rk4, rk38, bosh3, dopri5, tsit5",
            Problems(With(ProblemSamples.NodeTanh(), "solver", "foo")));

    [Theory]
    [InlineData("steps", "\"eight\"", "$.steps: expected an integer, got the string \"eight\"")]
    [InlineData("dim", "3.5", "$.dim: expected an integer, got the number 3.5")]
    [InlineData("T", "[1]", "$.T: expected a number, got an array")]
    [InlineData("T", "0", "$.T: must be positive, got 0")]
    [InlineData("solver", "4", "$.solver: expected a string, got the number 4")]
    [InlineData("x0", "{}", "$.x0: expected an array of rows of 3, got an object")]
    [InlineData("x0", "[]", "$.x0: expected an array of rows of 3, got an empty array")]
    [InlineData("field", "\"node-relu\"", "$.field: expected one of \"linear\", \"node-tanh\", \"gradient-flow\", got \"node-relu\"")]
    [InlineData("q", "3", "$.q: expected \"inf\", 2 or 1, got the number 3")]
    [InlineData("epsilon", "-0.1", "$.epsilon: must be at least 0, got -0.1")]
    [InlineData("mode", "\"exact\"", "$.mode: expected one of \"discrete\", \"continuous\", got \"exact\"")]
    [InlineData("adjoint", "true", "$.adjoint: expected a string, got the boolean true")]
    [InlineData("rtoll", "1e-6", "$.rtoll: unknown key; known keys: field, dim, steps, T, solver,")]
    [InlineData("A", "[[1]]", "$.A: not used by the \"node-tanh\" field")]
    [InlineData("labels", "[0, 1]", "$.labels: given without \"loss\"")]
    public void A_wrong_value_is_named(string key, string value, string expected) =>
        Assert.Contains(Problems(With(ProblemSamples.NodeTanh(), key, JsonNode.Parse(value))), p => p.StartsWith(expected));

    [Fact]
    public void Shapes_must_agree_with_dim_steps_and_batch()
    {
        var json = ProblemSamples.NodeTanh(dim: 3, steps: 4, batch: 2);
        json["x0"]![1]!.AsArray().RemoveAt(0);
        json["biases"]!.AsArray().RemoveAt(0);
        json["weights"]!.AsArray().Add(json["weights"]![0]!.DeepClone());
        json["loss"] = "cross-entropy";
        json["labels"] = JsonNode.Parse("[0, 1, 2]");

        Assert.Equal(
        [
            "$.biases: expected 4 rows of 3, got 3",
            "$.labels: expected 2 class labels, got 3",
            "$.weights: expected 4 matrices (one per layer), got 5",
            "$.x0[1]: expected 3 numbers, got 2",
        ], Problems(json).Order());
    }

    [Fact]
    public void Labels_index_the_classes()
    {
        var json = ProblemSamples.NodeTanh(dim: 3, batch: 2);
        json["loss"] = "cross-entropy";
        json["labels"] = JsonNode.Parse("[3, -1]");
        Assert.Equal(
        [
            "$.labels[0]: class 3 is out of range: labels index the 3 entries of x(T), so 0 ≤ label < 3",
            "$.labels[1]: must be at least 0, got -1",
        ], Problems(json));
    }

    [Fact]
    public void Adaptive_steps_need_an_embedded_tableau()
    {
        var json = With(ProblemSamples.NodeTanh(), "rtol", 1e-6);
        json["stepsPerLayer"] = 2;
        var problems = Problems(json);
        Assert.Contains(problems, p => p.StartsWith("$.solver: 'rk4' has no embedded error estimate"));
        Assert.Contains(problems, p => p.StartsWith("$.stepsPerLayer: applies to constant steps only"));
    }

    [Fact]
    public void Tolerances_contradicting_adaptive_false_are_refused()
    {
        var json = With(ProblemSamples.Linear(), "adaptive", false);
        Assert.Contains("$.rtol: tolerances need adaptive steps, but \"adaptive\" is false", Problems(json));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var json = Without(ProblemSamples.NodeTanh(), "T");
        json["solver"] = "foo";
        json["steps"] = "eight";
        json["x0"]![0]![0] = "NaN";
        json["extra"] = 1;
        var problems = Problems(json);
        Assert.Contains("$.T: missing", problems);
        Assert.Contains(problems, p => p.StartsWith("$.solver: unknown solver 'foo'"));
        Assert.Contains("$.steps: expected an integer, got the string \"eight\"", problems);
        Assert.Contains("$.x0[0][0]: NaN is not allowed", problems);
        Assert.Contains(problems, p => p.StartsWith("$.extra: unknown key"));
    }

    [Theory]
    [InlineData("{ \"field\": ")]
    [InlineData("[1, 2]")]
    [InlineData("")]
    public void Text_that_is_not_a_json_object_is_refused(string text) =>
        Assert.StartsWith("$: ", Assert.Single(Problems(text)));

    [Fact]
    public void The_sample_problem_files_are_valid()
    {
        var samples = Path.Combine(RepositoryRoot.Path, "samples", "Problems");
        var files = Directory.GetFiles(samples, "*.json");
        Assert.NotEmpty(files);
        foreach (var file in files) Valid(File.ReadAllText(file));
    }
}
