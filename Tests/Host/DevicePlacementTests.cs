using System.Text.Json.Nodes;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.Runs;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Host;

/// <summary>
/// <c>Torch:Device</c> reaches every verb: train, evaluate and attack place the data and the models on the configured
/// device, as solve and sensitivity place the problem's tensors. Checked with the CPU device objects this machine has
/// (every tensor a run computes with is watched), and with the meta device for placement alone.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public sealed class DevicePlacementTests
{
    [Fact]
    public void Every_tensor_of_training_evaluation_and_attacks_lives_on_the_configured_device()
    {
        using var folder = new TempFolder();
        var device = new Device(DeviceType.CPU);
        var probe = new DeviceProbeEngine(device);
        var engines = new EngineCatalog().Add("torch", convolutions: true, _ => EngineChoice.Of(probe));
        var settings = TrainingJobs.TinyMoons(folder, ("Torch:Device", "cpu"), ("Experiments:moons:Training:Epochs", 1));

        var train = Robustnode.Run(folder, ["train"], settings, engines: engines);
        Assert.True(train.ExitCode == ExitCodes.Success, train.Error);
        Assert.True(probe.Seen > 1000, $"only {probe.Seen} tensors went through the engine");
        Assert.Null(probe.Misplaced);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(TrainingJobs.Run(folder, "moons"), "report.json")))!;
        Assert.Equal("torch", report["model"]!["engine"]!.GetValue<string>());
        Assert.Contains(train.Log, line => line.Contains("Engine: torch on cpu"));

        long trained = probe.Seen;
        var model = Path.Combine(TrainingJobs.Run(folder, "moons"), "models", "pgd.ckpt");
        var evaluate = Robustnode.Run(folder, ["evaluate", "--model", model], settings, engines: engines);
        Assert.True(evaluate.ExitCode == ExitCodes.Success, evaluate.Error);
        var attack = Robustnode.Run(folder, ["attack", "--model", model, "--out", folder.File("a.png")], settings, engines: engines);
        Assert.True(attack.ExitCode == ExitCodes.Success, attack.Error);
        Assert.True(probe.Seen > trained);
        Assert.Null(probe.Misplaced);
    }

    [Fact]
    public void Data_and_models_go_to_the_configured_device()
    {
        using var scope = NewDisposeScope();
        var meta = new Device(DeviceType.META);
        var experiment = ExperimentsOf(Robustnode.DefaultSettings).Find("moons").Match(e => e, _ => throw new Xunit.Sdk.XunitException("no moons"));
        var data = ExperimentData.Load(experiment.Data, experiment.Model).Match(d => d, e => throw new Xunit.Sdk.XunitException(e.Head.Message)).On(meta);
        Assert.All(new[] { data.Train.X, data.Train.Labels, data.Test.X, data.Test.Labels }, t => Assert.Equal(DeviceType.META, t.device_type));
        var model = ExperimentModel.Build(TorchEngine.Instance, experiment.Model, data.Train, meta).Match(m => m, e => throw new Xunit.Sdk.XunitException(e.Message));
        Assert.NotEmpty(model.Parameters);
        Assert.All(model.Parameters, p => Assert.Equal(DeviceType.META, p.device_type));
        // The same seed gives the same shapes wherever the parameters live.
        var cpu = ExperimentModel.Build(TorchEngine.Instance, experiment.Model, data.Train).Match(m => m, e => throw new Xunit.Sdk.XunitException(e.Message));
        Assert.Equal(cpu.Parameters.Select(p => p.shape), model.Parameters.Select(p => p.shape));
    }

    private static ExperimentCatalog ExperimentsOf(string settings)
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("appsettings.json"), settings);
        return HostSettingsValidation.Validate(ConfigurationSources.Build(folder.Path, null, []).Match(c => c, e => throw new Xunit.Sdk.XunitException(e.Head.Message)), () => false)
            .Match(s => s.Experiments, e => throw new Xunit.Sdk.XunitException(string.Join("; ", e.Map(x => x.Message))));
    }
}
