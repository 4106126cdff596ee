using System.Text.Json.Nodes;
using LanguageExt;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using Xunit;

namespace RobustNode.Tests.Host;

[Collection(nameof(Collections.LibtorchThreadCount))]
public class ConfigurationTests
{
    private static string Problem(TempFolder folder, JsonObject? problem = null) =>
        folder.Write("problem.json", (problem ?? ProblemSamples.NodeTanh()).ToJsonString());

    [Fact]
    public void Every_bad_setting_is_reported_at_once_naming_its_key()
    {
        using var folder = new TempFolder();
        var settings = Robustnode.SettingsWith(
            ("Torch:Device", "gpu"), ("Torch:Threads", 0), ("Torch:DType", "float16"),
            ("Solver:Name", "rk5"), ("Solver:RelativeTolerance", -1), ("Solver:Nmae", "rk4"),
            ("Output:Folder", ""));
        var run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder), "--out", folder.File("out.json")], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("robustnode: invalid configuration", run.Error);
        Assert.Contains("Torch:Device: expected cpu, cuda or auto, got 'gpu'", run.Error);
        Assert.Contains("Torch:Threads: must be at least 1, got 0", run.Error);
        Assert.Contains("Torch:DType: expected float64 or float32, got 'float16'", run.Error);
        Assert.Contains("Solver:Name: unknown solver 'rk5'; known: euler, ", run.Error);
        Assert.Contains("Solver:RelativeTolerance: must lie in (0, 1], got -1", run.Error);
        Assert.Contains("Solver:Nmae: unknown setting", run.Error);
        Assert.Contains("Output:Folder: is empty", run.Error);
        Assert.False(File.Exists(folder.File("out.json")));
    }

    [Fact]
    public void Unknown_solver_lists_every_known_name()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder), "--Solver:Name=rk5"]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        var line = run.Error.Split('\n').Single(l => l.Contains("Solver:Name"));
        foreach (var name in RobustNode.Solvers.SolverCatalog.BuiltIn.Keys) Assert.Contains(name, line);
        Assert.Contains("ralston-copy", line);
    }

    [Fact]
    public void Command_line_overrides_win_over_the_settings_file()
    {
        using var folder = new TempFolder();
        folder.Write("appsettings.json", Robustnode.SettingsWith(("Solver:Name", "rk4"), ("Torch:Threads", 2)));
        var configuration = Built(ConfigurationSources.Build(folder.Path, null, ["--Solver:Name=dopri5"]));

        Assert.Equal("dopri5", configuration["Solver:Name"]);
        Assert.Equal("2", configuration["Torch:Threads"]);
    }

    [Fact]
    public void Overrides_from_the_command_line_are_validated_like_the_file()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder), "--Torch:Threads", "many"]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Torch:Threads: expected an integer, got 'many'", run.Error);
    }

    [Fact]
    public void A_settings_file_that_is_not_json_is_refused_with_its_path_line_and_column()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder)], settings: "{\n  \"Torch\": { \"Threads\": 2 },\n  \"Solver\": [1, 2\n}");

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("robustnode: invalid settings", run.Error);
        var line = run.Error.Split('\n').Single(l => l.Contains("invalid settings file"));
        Assert.Contains("appsettings.json", line);
        Assert.Contains("line 4, column 1", line);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void The_repository_settings_are_valid()
    {
        using var folder = new TempFolder();
        folder.Write("appsettings.json", Robustnode.DefaultSettings);
        var settings = HostSettingsValidation.Validate(Built(ConfigurationSources.Build(folder.Path, null, [])), () => false);

        settings.Match(
            Succ: s =>
            {
                Assert.Equal(TorchSharp.DeviceType.CPU, s.Torch.DeviceType);
                Assert.Equal(TorchSharp.torch.ScalarType.Float64, s.Torch.DType);
                Assert.Equal(2, s.Torch.Threads);
                Assert.Equal("runs", s.Output.Folder);
                Assert.True(s.Solvers.Find("ralston-copy").IsSome);
            },
            Fail: errors => Assert.Fail(string.Join("\n", errors.Map(e => e.Message))));
    }

    private static Microsoft.Extensions.Configuration.IConfigurationRoot Built(LanguageExt.Validation<LanguageExt.Common.Error, Microsoft.Extensions.Configuration.IConfigurationRoot> built) =>
        built.Match(Succ: c => c, Fail: e => throw new InvalidOperationException(e.Head.Message));
}
