using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using Xunit;

namespace RobustNode.Tests.Host;

[Collection(nameof(Collections.LibtorchThreadCount))]
public class UserTableauTests
{
    private static JsonObject Tableau(JsonNode a, JsonNode b, JsonNode c, int order) =>
        new() { ["A"] = a, ["b"] = b, ["c"] = c, ["order"] = order };

    private static JsonArray Array(params object[] values) =>
        new(values.Select(v => v switch
        {
            JsonNode n => n,
            string s => JsonValue.Create(s),
            double d => JsonValue.Create(d),
            int i => JsonValue.Create(i),
            _ => throw new ArgumentException(v.ToString()),
        }).ToArray<JsonNode?>());

    [Fact]
    public void A_user_tableau_is_a_solver_equal_to_its_builtin_twin()
    {
        using var folder = new TempFolder();
        var settings = Robustnode.SettingsWith(("Tableaux:my-ralston",
            Tableau(Array(Array(), Array("2/3")), Array("1/4", "3/4"), Array(0, "2/3"), 2)));
        var problem = ProblemSamples.NodeTanh();
        problem["solver"] = "my-ralston";
        var mine = Robustnode.Run(folder, ["solve", "--problem", folder.Write("a.json", problem.ToJsonString()), "--out", folder.File("mine.json")], settings);
        problem["solver"] = "ralston";
        var builtin = Robustnode.Run(folder, ["solve", "--problem", folder.Write("b.json", problem.ToJsonString()), "--out", folder.File("builtin.json")], settings);

        Assert.Equal(ExitCodes.Success, mine.ExitCode);
        Assert.Equal(ExitCodes.Success, builtin.ExitCode);
        var xMine = JsonNode.Parse(File.ReadAllText(folder.File("mine.json")))!["xT"]!;
        var xBuiltin = JsonNode.Parse(File.ReadAllText(folder.File("builtin.json")))!["xT"]!;
        Assert.Equal(xBuiltin.ToJsonString(), xMine.ToJsonString());
    }

    [Fact]
    public void A_user_tableau_with_a_wrong_weight_is_refused_naming_the_order_condition()
    {
        using var folder = new TempFolder();
        // c = A·1 holds, Σ b = 1 holds, but Σ b c = 0.45 ≠ 1/2: the order-2 condition fails.
        var settings = Robustnode.SettingsWith(("Tableaux:bad", Tableau(Array(Array(0, 0), Array(0.6, 0)), Array(0.25, 0.75), Array(0, 0.6), 2)));
        var run = Robustnode.Run(folder, ["solve", "--problem", folder.Write("p.json", ProblemSamples.NodeTanh().ToJsonString())], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        var line = run.Error.Split('\n').Single(l => l.Contains("Tableaux:bad"));
        Assert.Contains("order condition", line);
        Assert.Contains("(order 2)", line);
        Assert.DoesNotContain("(order 1)", run.Error);
    }

    [Fact]
    public void Every_problem_of_every_user_tableau_is_reported()
    {
        using var folder = new TempFolder();
        var settings = Robustnode.SettingsWith(
            ("Tableaux:no-weights", new JsonObject { ["A"] = Array(Array()), ["c"] = Array(0), ["order"] = 1 }),
            ("Tableaux:rk4", Tableau(Array(Array()), Array(1), Array(0), 1)),
            ("Tableaux:typo", Tableau(Array(Array()), Array("one"), Array(0), 1)),
            ("Tableaux:extra", new JsonObject { ["A"] = Array(Array()), ["b"] = Array(1), ["c"] = Array(0), ["order"] = 1, ["bhat2"] = Array(1) }));
        var run = Robustnode.Run(folder, ["solve", "--problem", folder.Write("p.json", ProblemSamples.NodeTanh().ToJsonString())], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Tableaux:no-weights:b: missing", run.Error);
        Assert.Contains("Tableaux:rk4: 'rk4' is a built-in solver", run.Error);
        Assert.Contains("Tableaux:typo:b:0: expected a number or a fraction like \"2/3\", got 'one'", run.Error);
        Assert.Contains("Tableaux:extra:bhat2: unknown setting", run.Error);
    }

    [Fact]
    public void An_embedded_user_tableau_takes_adaptive_steps()
    {
        using var folder = new TempFolder();
        var heun = Tableau(Array(Array(), Array(1)), Array("1/2", "1/2"), Array(0, 1), 2);
        heun["bHat"] = Array(1, 0);
        heun["embeddedOrder"] = 1;
        var settings = Robustnode.SettingsWith(("Tableaux:my-heun", heun));
        var problem = ProblemSamples.NodeTanh();
        problem["solver"] = "my-heun";
        problem["rtol"] = 1e-6;
        var run = Robustnode.Run(folder, ["solve", "--problem", folder.Write("p.json", problem.ToJsonString()), "--out", folder.File("o.json")], settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var stats = JsonNode.Parse(File.ReadAllText(folder.File("o.json")))!["stats"]!;
        Assert.True(stats["acceptedSteps"]!.GetValue<int>() > 4);
    }

    [Theory]
    [InlineData("2/3", 2.0 / 3)]
    [InlineData("-1/8", -0.125)]
    [InlineData("0.25", 0.25)]
    [InlineData("1e-3", 1e-3)]
    public void Coefficients_are_decimals_or_exact_fractions(string text, double expected)
    {
        Assert.True(UserTableaux.TryParseCoefficient(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("1/0")]
    [InlineData("two")]
    [InlineData("1/2/3")]
    [InlineData("NaN")]
    public void Other_coefficients_are_refused(string text) =>
        Assert.False(UserTableaux.TryParseCoefficient(text, out _));
}
