using System.Text.Json.Nodes;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using Xunit;

namespace RobustNode.Tests.Host;

/// <summary>
/// Engines are chosen by name — <c>Engine:Name</c>, an experiment's <c>Model:Engine</c>, a problem file's
/// <c>"engine"</c> — validated at start-up like every other setting, resolved for the network (auto: the managed engine
/// for dense fields when registered, torch otherwise and for convolutions), and named in every result.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public sealed class EngineSelectionTests
{
    /// <summary>A catalog with a second, dense-only engine named "managed" (TorchSharp underneath, so results can be compared).</summary>
    private static EngineCatalog WithManaged() =>
        new EngineCatalog().AddTorch().Add(EngineCatalog.Managed, convolutions: false,
            _ => EngineChoice.Of(new DeviceProbeEngine(new TorchSharp.torch.Device(TorchSharp.DeviceType.CPU), EngineCatalog.Managed)));

    private static Func<string, LanguageExt.Common.Error> At(string key) => reason => HostErrors.Configuration(key, reason);

    private static string Resolved(EngineCatalog catalog, string name, bool convolutional) =>
        catalog.Resolve(name, convolutional, At("Engine:Name")).Match(Succ: n => n, Fail: e => "error: " + string.Join("; ", e.Map(x => x.Message)));

    [Fact]
    public void Auto_chooses_the_managed_engine_for_dense_networks_when_it_is_registered_and_torch_otherwise()
    {
        var torchOnly = new EngineCatalog().AddTorch();
        Assert.Equal("torch", Resolved(torchOnly, "auto", convolutional: false));
        Assert.Equal("torch", Resolved(torchOnly, "auto", convolutional: true));
        var both = WithManaged();
        Assert.Equal("managed", Resolved(both, "AUTO", convolutional: false));
        Assert.Equal("torch", Resolved(both, "auto", convolutional: true));
        Assert.Equal("torch", Resolved(both, "Torch", convolutional: false));
        Assert.Equal("managed", Resolved(both, "managed", convolutional: false));
    }

    [Fact]
    public void An_engine_without_convolutions_cannot_run_a_convolutional_network()
    {
        var error = Resolved(WithManaged(), "managed", convolutional: true);
        Assert.StartsWith("error: Engine:Name: the engine 'managed' has no convolutions", error);
        Assert.Contains("use torch or auto", error);
    }

    [Fact]
    public void Unknown_engines_are_named_with_the_choices()
    {
        Assert.Equal("error: Engine:Name: unknown engine 'gpu'; known: auto | torch", Resolved(new EngineCatalog().AddTorch(), "gpu", false));
        Assert.Throws<ArgumentException>(() => new EngineCatalog().AddTorch().AddTorch());
        Assert.Throws<ArgumentException>(() => new EngineCatalog().Add("auto", true, _ => EngineChoice.Of(TorchEngine.Instance)));
        // A factory must make the engine it is registered as.
        var misnamed = new EngineCatalog().Add("other", true, _ => EngineChoice.Of(TorchEngine.Instance));
        Assert.Throws<InvalidOperationException>(() => misnamed.Create("other", new EngineRequest(TorchSharp.torch.ScalarType.Float64, TorchSharp.torch.CPU, 1)));
    }

    [Fact]
    public void Engine_settings_are_validated_at_start_up_naming_their_keys()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["train"], Robustnode.SettingsWith(
            ("Engine:Name", "gpu"),
            ("Engine:Colour", "blue"),
            ("Experiments:moons:Model:Engine", "simd")));
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Engine:Name: unknown engine 'gpu'; known: auto | torch", run.Error);
        Assert.Contains("Engine:Colour", run.Error);
        Assert.Contains("Experiments:moons:Model:Engine: unknown engine 'simd'; known: auto | torch", run.Error);
    }

    [Fact]
    public void An_image_experiment_on_an_engine_without_convolutions_is_an_input_error()
    {
        using var folder = new TempFolder();
        var settings = Robustnode.SettingsWith(("Experiments:mnist:Model:Engine", "managed"));
        var run = Robustnode.Run(folder, ["train", "--experiment", "moons"], settings, engines: WithManaged());
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Experiments:mnist:Model:Engine: the engine 'managed' has no convolutions", run.Error);
        // The global setting applies to every experiment: auto keeps image networks on torch.
        var global = Robustnode.SettingsWith(("Engine:Name", "managed"));
        var both = Robustnode.Run(folder, ["train", "--experiment", "moons"], global, engines: WithManaged());
        Assert.Equal(ExitCodes.InvalidInput, both.ExitCode);
        Assert.Contains("Engine:Name: the engine 'managed' has no convolutions, which this network needs; use torch or auto (the convolutional network of images)", both.Error);
    }

    [Fact]
    public void Problem_files_name_their_engine_and_results_report_it()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.NodeTanh();
        problem["engine"] = "torch";
        var solved = Robustnode.Run(folder, ["solve", "--problem", folder.Write("p.json", problem.ToJsonString()), "--out", folder.File("o.json")]);
        Assert.Equal(ExitCodes.Success, solved.ExitCode);
        Assert.Equal("torch", JsonNode.Parse(File.ReadAllText(folder.File("o.json")))!["engine"]!.GetValue<string>());

        problem["engine"] = "gpu";
        var wrong = Robustnode.Run(folder, ["solve", "--problem", folder.Write("q.json", problem.ToJsonString()), "--out", folder.File("q.out.json")]);
        Assert.Equal(ExitCodes.InvalidInput, wrong.ExitCode);
        Assert.Contains("$.engine: unknown engine 'gpu'; known: auto | torch", wrong.Error);
        Assert.False(File.Exists(folder.File("q.out.json")));
    }

    [Fact]
    public void A_problem_file_may_choose_another_registered_engine_with_the_same_results()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.NodeTanh();
        problem["loss"] = "square";
        problem["targets"] = JsonNode.Parse("[[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]]");
        problem["epsilon"] = 0.1;
        var results = new List<JsonNode>();
        foreach (var engine in new[] { "torch", "managed" })
        {
            problem["engine"] = engine;
            var run = Robustnode.Run(folder, ["sensitivity", "--problem", folder.Write("p.json", problem.ToJsonString()), "--out", folder.File($"{engine}.json")],
                engines: WithManaged());
            Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
            results.Add(JsonNode.Parse(File.ReadAllText(folder.File($"{engine}.json")))!);
        }
        Assert.Equal("torch", results[0]["engine"]!.GetValue<string>());
        Assert.Equal("managed", results[1]["engine"]!.GetValue<string>());
        Assert.Equal(results[0]["augmentedGradWeights"]!.ToJsonString(), results[1]["augmentedGradWeights"]!.ToJsonString());
    }
}
