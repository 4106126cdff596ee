using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using RobustNode.Tests.Host;
using Xunit;

namespace RobustNode.Tests.Schemas;

/// <summary>A result that overflows is a computation failure (exit 3) naming its key; nothing is written.</summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public class NonFiniteResults
{
    [Fact]
    public void A_square_loss_that_overflows_fails_the_sensitivity_verb_with_3_and_names_the_loss()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("out.json"), "previous");
        // x(T) = exp(600) x0 is finite in float64, its square is not.
        var problem = new JsonObject
        {
            ["field"] = "linear", ["dim"] = 2, ["steps"] = 1, ["T"] = 2.0, ["solver"] = "rk4", ["stepsPerLayer"] = 50,
            ["A"] = new JsonArray(new JsonArray(300, 0), new JsonArray(0, 300)),
            ["x0"] = new JsonArray(new JsonArray(1.0, 0.5)),
            ["loss"] = "square", ["targets"] = new JsonArray(new JsonArray(0, 0)),
        };
        var run = Robustnode.Run(folder, ["sensitivity", "--problem", folder.Write("p.json", problem.ToJsonString()), "--out", folder.File("out.json")]);

        Assert.Equal(ExitCodes.ComputationFailed, run.ExitCode);
        Assert.Contains("loss", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.Equal("previous", File.ReadAllText(folder.File("out.json")));
    }
}
