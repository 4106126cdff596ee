using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Host;

[Collection(nameof(Collections.LibtorchThreadCount))]
public class SolveVerbTests
{
    private static HostRun Solve(TempFolder folder, JsonObject problem, string outName = "out.json", params string[] extra) =>
        Robustnode.Run(folder, ["solve", "--problem", folder.Write("problem.json", problem.ToJsonString()), "--out", folder.File(outName), .. extra]);

    private static (double[,] XT, JsonNode Stats) Result(TempFolder folder, string name = "out.json")
    {
        var json = JsonNode.Parse(File.ReadAllText(folder.File(name)))!;
        return (ProblemSamples.Matrix(json["xT"]!), json["stats"]!);
    }

    /// <summary>x(T) = exp(TA) x0 row by row: X(T) = X0 exp(TA)ᵀ, by torch.linalg.matrix_exp.</summary>
    private static double[,] MatrixExponentialSolution(JsonObject problem)
    {
        using var scope = NewDisposeScope();
        var a = tensor(ProblemSamples.Matrix(problem["A"]!).Cast<double>().ToArray(), [problem["dim"]!.GetValue<int>(), problem["dim"]!.GetValue<int>()], ScalarType.Float64);
        var x0Values = ProblemSamples.Matrix(problem["x0"]!);
        var x0 = tensor(x0Values.Cast<double>().ToArray(), [x0Values.GetLength(0), x0Values.GetLength(1)], ScalarType.Float64);
        var xT = x0.matmul(linalg.matrix_exp(RobustNode.Core.Engines.TorchScalars.Times(a, problem["T"]!.GetValue<double>())).t());
        return RobustNode.Host.Problems.ProblemTensors.Matrix(xT);
    }

    private static void AssertClose(double[,] expected, double[,] actual, double tolerance)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++)
                Assert.True(Math.Abs(expected[i, j] - actual[i, j]) <= tolerance,
                    $"[{i},{j}]: expected {expected[i, j]:R}, got {actual[i, j]:R} (tolerance {tolerance})");
    }

    [Fact]
    public void Linear_xT_matches_the_matrix_exponential_adaptive()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.Linear(dim: 3, steps: 2, batch: 4);
        var run = Solve(folder, problem);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var (xT, stats) = Result(folder);
        AssertClose(MatrixExponentialSolution(problem), xT, 1e-8);
        Assert.True(stats["acceptedSteps"]!.GetValue<int>() >= 2);
        Assert.True(stats["functionEvaluations"]!.GetValue<int>() > 0);
        Assert.True(stats["rejectedSteps"]!.GetValue<int>() >= 0);
        Assert.True(stats["wallTimeMs"]!.GetValue<double>() >= 0);
    }

    [Fact]
    public void Linear_xT_matches_the_matrix_exponential_with_rk4_steps()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.LinearConstantSteps("rk4", dim: 3, steps: 16, batch: 2);
        problem["stepsPerLayer"] = 4;
        var run = Solve(folder, problem);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var (xT, stats) = Result(folder);
        AssertClose(MatrixExponentialSolution(problem), xT, 1e-8);
        Assert.Equal(64, stats["acceptedSteps"]!.GetValue<int>());
        Assert.Equal(0, stats["rejectedSteps"]!.GetValue<int>());
    }

    [Fact]
    public void Node_tanh_with_euler_is_the_resnet()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.NodeTanh(dim: 3, steps: 6, batch: 3);
        problem["solver"] = "euler";
        var run = Solve(folder, problem);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        // x_{k+1} = x_k + h (W_k tanh(x_k) + b_k), h = T/N, in plain float64 arithmetic.
        var x = ProblemSamples.Matrix(problem["x0"]!);
        int n = 6, d = 3;
        double h = 1.0 / n;
        for (int k = 0; k < n; k++)
        {
            var w = ProblemSamples.Matrix(problem["weights"]![k]!);
            var next = (double[,])x.Clone();
            for (int s = 0; s < x.GetLength(0); s++)
                for (int i = 0; i < d; i++)
                {
                    double g = problem["biases"]![k]![i]!.GetValue<double>();
                    for (int j = 0; j < d; j++) g += w[i, j] * Math.Tanh(x[s, j]);
                    next[s, i] = x[s, i] + h * g;
                }
            x = next;
        }
        var (xT, stats) = Result(folder);
        AssertClose(x, xT, 1e-13);
        Assert.Equal(n, stats["acceptedSteps"]!.GetValue<int>());
    }

    [Fact]
    public void Node_tanh_with_rk4_agrees_with_a_tight_adaptive_solve()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.NodeTanh(dim: 4, steps: 8, batch: 5);
        problem["stepsPerLayer"] = 8;
        var fixedRun = Solve(folder, problem, "rk4.json");
        problem.Remove("stepsPerLayer");
        problem["solver"] = "tsit5";
        problem["rtol"] = 1e-11;
        problem["atol"] = 1e-13;
        var adaptiveRun = Solve(folder, problem, "tsit5.json");

        Assert.True(fixedRun.ExitCode == ExitCodes.Success, fixedRun.Error);
        Assert.True(adaptiveRun.ExitCode == ExitCodes.Success, adaptiveRun.Error);
        var (rk4, _) = Result(folder, "rk4.json");
        var (tsit5, _) = Result(folder, "tsit5.json");
        Assert.Equal(5, rk4.GetLength(0));
        Assert.Equal(4, rk4.GetLength(1));
        AssertClose(tsit5, rk4, 1e-7);
        Assert.Contains(fixedRun.Log, line => line.StartsWith("Solved"));
    }

    [Fact]
    public void Float32_states_are_a_setting()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.LinearConstantSteps("rk4", dim: 2, steps: 4, batch: 2);
        var run = Solve(folder, problem, "out.json", "--Torch:DType=float32");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var (xT, _) = Result(folder);
        AssertClose(MatrixExponentialSolution(problem), xT, 1e-4);
        Assert.All(xT.Cast<double>(), v => Assert.Equal((double)(float)v, v));
    }

    [Fact]
    public void The_default_output_goes_to_the_output_folder()
    {
        using var folder = new TempFolder();
        var problem = folder.Write("tiny.json", ProblemSamples.NodeTanh().ToJsonString());
        var runs = Path.Combine(folder.Path, "my-runs");
        var run = Robustnode.Run(folder, ["solve", "--problem", problem, $"--Output:Folder={runs}"]);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.True(File.Exists(Path.Combine(runs, "tiny.solve.json")));
        Assert.Empty(Directory.GetFiles(runs, "*.tmp"));
    }

    [Fact]
    public void A_solve_that_blows_up_exits_with_3_and_writes_nothing()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.LinearConstantSteps("euler", dim: 1, steps: 3, batch: 1);
        problem["A"] = JsonNode.Parse("[[1e200]]");
        File.WriteAllText(folder.File("out.json"), "previous result");
        var run = Solve(folder, problem);

        Assert.Equal(ExitCodes.ComputationFailed, run.ExitCode);
        Assert.Contains("the solve of", run.Error);
        Assert.Contains("NaN or infinite", run.Error);
        Assert.Equal("previous result", File.ReadAllText(folder.File("out.json")));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));
    }

    [Theory]
    [InlineData("missing key")]
    [InlineData("wrong shape")]
    [InlineData("NaN")]
    [InlineData("unknown solver")]
    [InlineData("wrong type")]
    [InlineData("bad JSON")]
    public void Malformed_input_exits_with_2_names_the_file_and_leaves_the_output_alone(string defect)
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.NodeTanh();
        var (text, expected) = defect switch
        {
            "missing key" => (Without(problem, "x0"), "$.x0: missing"),
            "wrong shape" => (Edit(problem, p => p["weights"]![1]!.AsArray().RemoveAt(2)), "$.weights[1]: expected 3 rows of 3, got 2"),
            "NaN" => (Edit(problem, p => p["x0"]![1]![0] = "NaN"), "$.x0[1][0]: NaN is not allowed"),
            "unknown solver" => (Edit(problem, p => p["solver"] = "foo"), "$.solver: unknown solver 'foo'"),
            "wrong type" => (Edit(problem, p => p["dim"] = "three"), "$.dim: expected an integer"),
            _ => (problem.ToJsonString()[..40], "$: not valid JSON"),
        };
        var path = folder.Write("broken.json", text);
        var existing = folder.Write("existing.json", "keep me");
        var fresh = folder.File("fresh.json");

        var overwrite = Robustnode.Run(folder, ["solve", "--problem", path, "--out", existing]);
        var create = Robustnode.Run(folder, ["solve", "--problem", path, "--out", fresh]);

        foreach (var run in new[] { overwrite, create })
        {
            Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
            Assert.Contains($"robustnode solve: invalid problem file '{path}':", run.Error);
            Assert.Contains(expected, run.Error);
        }
        Assert.Equal("keep me", File.ReadAllText(existing));
        Assert.False(File.Exists(fresh));
        Assert.Equal(2, Directory.GetFiles(folder.Path).Length);
    }

    [Fact]
    public void A_missing_problem_file_is_named()
    {
        using var folder = new TempFolder();
        var path = folder.File("nowhere.json");
        var run = Robustnode.Run(folder, ["solve", "--problem", path, "--out", folder.File("o.json")]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"{path}: cannot read: no such file", run.Error);
        Assert.False(File.Exists(folder.File("o.json")));
    }

    private static string Without(JsonObject problem, string key)
    {
        problem.Remove(key);
        return problem.ToJsonString();
    }

    private static string Edit(JsonObject problem, Action<JsonObject> change)
    {
        change(problem);
        return problem.ToJsonString();
    }
}
