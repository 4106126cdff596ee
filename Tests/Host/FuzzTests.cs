using System.Diagnostics;
using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using Xunit;
using Xunit.Abstractions;

namespace RobustNode.Tests.Host;

/// <summary>
/// Generated malformed input, a few hundred cases from a fixed seed, bounded in time: every one exits with 2 (or 3),
/// names the key, JSON path or file at fault, prints no stack trace, and leaves the previous output file untouched
/// with no temporary file beside it.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public sealed class FuzzTests(ITestOutputHelper output)
{
    /// <summary>One malformed input: how it was made, its text, and what the message must name.</summary>
    private sealed record Case(string Description, string Text, string Names);

    private static readonly JsonNode?[] Junk =
    [
        null, true, "", "x", "NaN", "-Infinity", -1, 0, 1.5, 1e308, 2147483648L, new JsonArray(), new JsonObject(),
        new JsonArray(new JsonArray()), new JsonObject { ["a"] = 1 }, new string('z', 5000), "\u001b[2J\u202e",
    ];

    /// <summary>Values that are wrong for each key of the node-tanh sample (rk4, d = 3, N = 4, B = 2).</summary>
    private static readonly Dictionary<string, JsonNode?[]> Wrong = new()
    {
        ["field"] = ["lin", "", 3, null, new JsonObject(), "NODE-TANH"],
        ["dim"] = [0, -1, 1.5, "3", 2147483648L, null, new JsonArray(), 4, 2],
        ["steps"] = [0, -5, 1e10, "4", 5, 3, null, 2147483647],
        ["T"] = [0, -1, "1", null, new JsonArray(), "Infinity"],
        ["solver"] = ["rk5", 4, "", null, new JsonObject(), "rk4 ", "dopri5\u0000"],
        ["weights"] = [new JsonArray(), 1, "w", new JsonArray(new JsonArray(1, 2)), null],
        ["biases"] = [new JsonArray(), 1, new JsonArray(new JsonArray(1, 2, 3)), "b"],
        ["x0"] = [new JsonArray(), new JsonArray(new JsonArray(1, 2)), new JsonArray(new JsonArray(1, "a", 3)), new JsonArray(new JsonArray(1, 2, 3), new JsonArray(1)), 0],
        ["stepsPerLayer"] = [0, -1, 2147483647, "2", 1.5, 60_000],
        ["rtol"] = [1e-6, 0, -1, "x"],
        ["atol"] = [1e-9, 0, "tight"],
        ["adaptive"] = [true, "yes", 1],
        ["epsilon"] = [-1, "big", new JsonArray()],
        ["q"] = [3, "two", 0, null],
        ["mode"] = ["both", 1, ""],
        ["adjoint"] = ["none", true],
        ["loss"] = ["hinge", 0],
        ["labels"] = [new JsonArray(0, 1)],
        ["targets"] = [new JsonArray(new JsonArray(1, 2, 3), new JsonArray(1, 2, 3))],
        ["A"] = [new JsonArray(new JsonArray(1, 0, 0), new JsonArray(0, 1, 0), new JsonArray(0, 0, 1))],
        ["nonsense"] = [1, "x", null],
    };

    private static IEnumerable<Case> ProblemCases(Random random)
    {
        string[] required = ["field", "dim", "steps", "T", "weights", "biases", "x0"];
        var sample = ProblemSamples.NodeTanh();
        foreach (var key in required)
        {
            var copy = (JsonObject)sample.DeepClone();
            copy.Remove(key);
            yield return new Case($"without {key}", copy.ToJsonString(), $"$.{key}");
        }
        foreach (var (key, values) in Wrong)
            foreach (var value in values)
            {
                var copy = (JsonObject)sample.DeepClone();
                copy[key] = value?.DeepClone();
                // With rk4 any tolerance is wrong (no error estimate); "labels", "targets" need a loss; "A" is not node-tanh's.
                // A dim or steps that disagrees with the arrays is reported at the arrays.
                bool consistency = key is "rtol" or "atol" or "adaptive" || (key is "dim" or "steps" && value is JsonValue n && n.GetValueKind() == System.Text.Json.JsonValueKind.Number && double.Parse(n.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) is >= 1 and < 1e6);
                string names = consistency ? "$." : $"$.{key}";
                yield return new Case($"{key} = {value?.ToJsonString() ?? "null"}", copy.ToJsonString(), names);
            }
        var text = sample.ToJsonString();
        for (int i = 0; i < 120; i++)
        {
            var copy = (JsonObject)sample.DeepClone();
            var key = required[random.Next(required.Length)];
            var junk = Junk[random.Next(Junk.Length)];
            if (key is "weights" or "biases" or "x0" && random.Next(2) == 0)
            {
                // Junk deep inside an array: a number replaced by something that is not a finite number.
                var path = new List<int>();
                JsonNode node = copy[key]!;
                while (node is JsonArray array && array.Count > 0)
                {
                    int index = random.Next(array.Count);
                    path.Add(index);
                    if (array[index] is JsonArray) node = array[index]!;
                    else
                    {
                        // A finite number would still be valid: those become the string "NaN".
                        array[index] = junk is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? "NaN" : junk?.DeepClone();
                        break;
                    }
                }
                yield return new Case($"{key}{string.Concat(path.Select(p => $"[{p}]"))} = junk", copy.ToJsonString(), $"$.{key}");
            }
            else
            {
                if (junk is JsonValue j && key == "T" && j.GetValueKind() == System.Text.Json.JsonValueKind.Number) junk = "1";
                if (junk is JsonValue k && key is "dim" or "steps" && k.TryGetValue<double>(out var n) && n is >= 1 and < 1e9) junk = -1;
                copy[key] = junk?.DeepClone();
                yield return new Case($"{key} = junk", copy.ToJsonString(), $"$.{key}");
            }
        }
        for (int i = 0; i < 60; i++)
        {
            // Broken syntax: cut at a random place, or a stray character inserted.
            int at = random.Next(1, text.Length - 1);
            var broken = random.Next(2) == 0 ? text[..at] : text[..at] + "}{@"[random.Next(3)] + text[at..];
            yield return new Case($"syntax at {at}", broken, "$");
        }
        yield return new Case("a lone surrogate", text.Replace("\"rk4\"", "\"rk4\\udc00\""), "$.solver");
        yield return new Case("a NUL byte", text[..10] + "\0" + text[10..], "binary data");
        yield return new Case("a duplicate key", text[..^1] + ",\"dim\":3}", "$.dim: duplicate key");
        yield return new Case("not an object", "[1, 2, 3]", "$");
        yield return new Case("empty", "", "$");
    }

    [Fact]
    public void Hundreds_of_malformed_problem_files_are_refused_naming_their_fault()
    {
        using var folder = new TempFolder();
        var outPath = folder.Write("previous.json", "the previous result");
        var clock = Stopwatch.StartNew();
        var cases = ProblemCases(new Random(20261130)).ToList();
        var failures = new List<string>();
        foreach (var (c, i) in cases.Select((c, i) => (c, i)))
        {
            var problem = folder.Write($"case-{i}.json", c.Text);
            var run = Robustnode.Run(folder, [i % 2 == 0 ? "solve" : "sensitivity", "--problem", problem, "--out", outPath]);
            var why = Judge(run, c.Names);
            if (why is not null) failures.Add($"{c.Description}: {why}\n    {run.Error.Split('\n').FirstOrDefault(l => l.StartsWith("  ")) ?? run.Error}");
            if (File.ReadAllText(outPath) != "the previous result") failures.Add($"{c.Description}: the previous output changed");
        }
        output.WriteLine($"{cases.Count} malformed problem files in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(cases.Count >= 250, $"only {cases.Count} cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    /// <summary>Settings keys and values that are wrong for them.</summary>
    private static readonly (string Key, string[] Values)[] BadSettings =
    [
        ("Torch:Threads", ["0", "many", "1.5", "", "100000"]),
        ("Torch:Device", ["gpu", ""]),
        ("Torch:DType", ["float16", "64"]),
        ("Solver:Name", ["rk5", ""]),
        ("Solver:StepsPerLayer", ["0", "-3", "2147483648"]),
        ("Solver:RelativeTolerance", ["0", "-1", "2", "tight", "1e400"]),
        ("Solver:AbsoluteTolerance", ["0", "NaN"]),
        ("Solver:MaxSteps", ["0", "1e9"]),
        ("Output:Folder", [""]),
        ("Experiments:moons:Training:Epochs", ["0", "", "x", "2000000000"]),
        ("Experiments:moons:Training:BatchSize", ["0", "-1"]),
        ("Experiments:moons:Training:Optimizer:Name", ["rmsprop"]),
        ("Experiments:moons:Training:Optimizer:LearningRate", ["0", "-0.1", "1e20"]),
        ("Experiments:moons:Training:Divergence:Growth", ["1", "0.5"]),
        ("Experiments:moons:Model:Dim", ["1", "1e6"]),
        ("Experiments:moons:Model:Solver", ["rk5"]),
        ("Experiments:moons:Model:Activation", ["relu6"]),
        ("Experiments:moons:Evaluation:Epsilons", ["0,x", "-1", ""]),
        ("Experiments:moons:Evaluation:Grid:Resolution", ["1", "100000"]),
        ("Experiments:moons:Data:Size", ["3", "1e12"]),
        ("Experiments:moons:Data:Noise", ["-0.1", "100"]),
        ("Tableaux:ralston-copy:order", ["0", "40"]),
        ("Logging:LogLevel:Default", ["loud"]),
    ];

    [Fact]
    public void Malformed_settings_are_refused_naming_their_key()
    {
        using var folder = new TempFolder();
        var problem = folder.Write("p.json", ProblemSamples.NodeTanh().ToJsonString());
        var outPath = folder.Write("previous.json", "the previous result");
        var clock = Stopwatch.StartNew();
        var cases = new List<(string Override, string Names)>();
        foreach (var (key, values) in BadSettings)
        {
            foreach (var value in values) cases.Add(($"--{key}={value}", key));
            cases.Add(($"--{key}:sub=1", key));
        }
        cases.Add(("--Solvr:Name=rk4", "Solvr"));
        cases.Add(("--Experimants:moons:Data:Size=5", "Experimants"));
        cases.Add(("--Experiments:moons:Modle:Dim=3", "Experiments:moons:Modle"));
        cases.Add(("--Experiments:moons:Training=3", "Experiments:moons:Training"));
        var failures = new List<string>();
        foreach (var (setting, names) in cases)
        {
            var run = Robustnode.Run(folder, ["solve", "--problem", problem, "--out", outPath, setting]);
            var why = Judge(run, names);
            if (why is not null) failures.Add($"{setting}: {why}\n    {run.Error}");
            if (File.ReadAllText(outPath) != "the previous result") failures.Add($"{setting}: the previous output changed");
        }
        output.WriteLine($"{cases.Count} malformed settings in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    private static string? Judge(HostRun run, string names)
    {
        if (run.ExitCode is not (ExitCodes.InvalidInput or ExitCodes.ComputationFailed)) return $"exit code {run.ExitCode}";
        if (run.Error.Contains("   at ") || run.Error.Contains("internal error") || run.Error.Contains("Exception")) return "a stack trace";
        if (!run.Error.Contains(names)) return $"the message does not name {names}";
        return null;
    }
}
