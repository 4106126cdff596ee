using System.Diagnostics;
using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using Xunit;

namespace RobustNode.Tests.Host;

/// <summary>The built <c>robustnode</c> binary as a user runs it: exit codes, files, environment variables.</summary>
public class EndToEndTests
{
    private static (int ExitCode, string Out, string Error) Robustnode(string workingDirectory, IDictionary<string, string> environment, params string[] args)
    {
        var binary = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "robustnode.exe" : "robustnode");
        var start = new ProcessStartInfo(binary)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ROBUSTNODE_")).ToList()) start.Environment.Remove(key);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "robustnode did not finish");
        return (process.ExitCode, output.Result, error.Result);
    }

    [Fact]
    public void The_binary_solves_reports_and_exits_with_its_codes()
    {
        using var folder = new TempFolder();
        var problem = folder.Write("p.json", ProblemSamples.NodeTanh().ToJsonString());
        var none = new Dictionary<string, string>();

        var ok = Robustnode(folder.Path, none, "solve", "--problem", problem);
        Assert.True(ok.ExitCode == ExitCodes.Success, ok.Error);
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Path, "runs", "p.solve.json")))!;
        Assert.Equal(2, result["xT"]!.AsArray().Count);
        Assert.Contains("Solved", ok.Error);
        Assert.Equal("", ok.Out);

        var broken = folder.Write("broken.json", "{ \"field\": \"linear\" }");
        var bad = Robustnode(folder.Path, none, "solve", "--problem", broken, "--out", "b.json");
        Assert.Equal(ExitCodes.InvalidInput, bad.ExitCode);
        Assert.Contains("$.x0: missing", bad.Error);
        Assert.False(File.Exists(Path.Combine(folder.Path, "b.json")));
    }

    [Fact]
    public void Environment_variables_override_the_file_and_the_command_line_overrides_them()
    {
        using var folder = new TempFolder();
        var problem = folder.Write("p.json", ProblemSamples.NodeTanh().ToJsonString());
        var environment = new Dictionary<string, string> { ["ROBUSTNODE_Torch__Threads"] = "0", ["ROBUSTNODE_Solver__Name"] = "nope" };

        var refused = Robustnode(folder.Path, environment, "solve", "--problem", problem, "--out", "o.json");
        Assert.Equal(ExitCodes.InvalidInput, refused.ExitCode);
        Assert.Contains("Torch:Threads: must be at least 1, got 0", refused.Error);
        Assert.Contains("Solver:Name: unknown solver 'nope'", refused.Error);

        var accepted = Robustnode(folder.Path, environment, "solve", "--problem", problem, "--out", "o.json", "--Torch:Threads=1", "--Solver:Name=rk4");
        Assert.True(accepted.ExitCode == ExitCodes.Success, accepted.Error);
        Assert.True(File.Exists(Path.Combine(folder.Path, "o.json")));
    }
}
