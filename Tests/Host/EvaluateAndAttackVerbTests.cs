using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>The evaluate and attack verbs on saved models, and the image experiments end to end.</summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public class EvaluateAndAttackVerbTests
{
    /// <summary>A finished tiny moons run (standard and augmented, one epoch) in a fresh folder.</summary>
    private static (TempFolder Folder, string Settings, string Models) Trained()
    {
        var folder = new TempFolder();
        var settings = TinyMoons(folder, ("Experiments:moons:Training:Epochs", 1), ("Experiments:moons:Training:Pgd:Enabled", false));
        var run = Robustnode.Run(folder, [], settings);
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        return (folder, settings, Path.Combine(Run(folder, "moons"), "models"));
    }

    [Fact]
    public void Evaluate_writes_the_table_to_stdout_and_as_json_or_markdown()
    {
        var (folder, settings, models) = Trained();
        using var _ = folder;
        var model = Path.Combine(models, "augmented.ckpt");
        var json = folder.File("eval.json");

        var run = Robustnode.Run(folder, ["evaluate", "--model", model, "--attack", "pgd", "--epsilons", "0,0.05,0.3", "--out", json], settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Contains("| model | attack | clean | ε = 0 | ε = 0.05 | ε = 0.3 |", run.Out);
        Assert.Contains("| augmented | pgd2-inf |", run.Out);
        Assert.DoesNotContain("fgsm", run.Out);
        var result = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal("moons", (string?)result["experiment"]);
        Assert.Equal([0, 0.05, 0.3], result["epsilons"]!.AsArray().Select(e => (double)e!));
        Assert.Equal("pgd2-inf", (string?)result["robustness"]![0]!["attack"]);
        Assert.Equal(3, result["robustness"]![0]!["points"]!.AsArray().Count);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(Run(folder, "moons"), "report.json")))!;
        Assert.Equal((double)report["trainers"]![1]!["cleanAccuracy"]!, (double)result["cleanAccuracy"]!);

        var markdown = folder.File("eval.md");
        var both = Robustnode.Run(folder, ["evaluate", "--model", model, "--out", markdown], settings);
        Assert.True(both.ExitCode == ExitCodes.Success, both.Error);
        var text = File.ReadAllText(markdown);
        Assert.Contains("| augmented | fgsm-inf |", text);
        Assert.Contains("| augmented | pgd2-inf |", text);
    }

    [Fact]
    public void Evaluate_refuses_a_corrupted_model_and_a_model_of_another_experiment()
    {
        var (folder, settings, models) = Trained();
        using var _ = folder;
        var corrupted = folder.File("corrupted.ckpt");
        var bytes = File.ReadAllBytes(Path.Combine(models, "standard.ckpt"));
        File.WriteAllBytes(corrupted, bytes[..(bytes.Length - 40)]);
        var outFile = folder.File("out.json");

        var bad = Robustnode.Run(folder, ["evaluate", "--model", corrupted, "--out", outFile], settings);
        Assert.Equal(ExitCodes.InvalidInput, bad.ExitCode);
        Assert.Contains($"robustnode evaluate: cannot evaluate '{corrupted}'", bad.Error);
        Assert.Contains($"{corrupted}: corrupted checkpoint: truncated", bad.Error);

        var other = Robustnode.Run(folder, ["evaluate", "--model", Path.Combine(models, "standard.ckpt"), "--experiment", "circles", "--out", outFile], settings);
        Assert.Equal(ExitCodes.InvalidInput, other.ExitCode);
        Assert.Contains("checkpoint does not match experiment 'circles': model: 'point-cloud-node(inputs=2, dim=3, layers=3", other.Error);
        Assert.Contains("checkpoint does not match experiment 'circles': data: 'moons(", other.Error);

        var missing = Robustnode.Run(folder, ["evaluate", "--model", folder.File("none.ckpt")], settings);
        Assert.Equal(ExitCodes.InvalidInput, missing.ExitCode);
        Assert.Contains($"{folder.File("none.ckpt")}: cannot read the checkpoint: no such file", missing.Error);

        var options = Robustnode.Run(folder, ["evaluate", "--model", corrupted, "--attack", "cw", "--epsilons", "0,-1"], settings);
        Assert.Equal(ExitCodes.InvalidInput, options.ExitCode);
        Assert.Contains("--attack: expected fgsm, pgd or both, got 'cw'", options.Error);
        Assert.Contains("--epsilons: '-1' is not a non-negative number", options.Error);
        Assert.False(File.Exists(outFile));
    }

    [Fact]
    public void Attack_draws_the_arrows_of_a_point_cloud_model()
    {
        var (folder, settings, models) = Trained();
        using var _ = folder;
        var run = Robustnode.Run(folder, ["attack", "--model", Path.Combine(models, "standard.ckpt"), "--epsilon", "0.25", "--count", "10"], settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        AssertPng(Path.Combine(models, "standard.attack.png"));
        Assert.Contains(run.Log, l => l.Contains("Attacked 10 test samples") && l.Contains("FGSM ε = 0.25"));

        var blocker = folder.Write("blocker", "a file, not a folder");
        var unwritable = Robustnode.Run(folder, ["attack", "--model", Path.Combine(models, "standard.ckpt"), "--out", Path.Combine(blocker, "a.png")], settings);
        Assert.Equal(ExitCodes.InvalidInput, unwritable.ExitCode);
        Assert.Contains($"robustnode attack: cannot write '{Path.Combine(blocker, "a.png")}'", unwritable.Error);
    }

    [MnistFact]
    public void An_image_experiment_runs_end_to_end_on_a_tiny_subset()
    {
        using var folder = new TempFolder();
        var settings = Robustnode.SettingsWith(
            ("Output:Folder", folder.File("runs")),
            ("Experiments:mnist:Data:Images", MnistImages),
            ("Experiments:mnist:Data:Labels", MnistLabels),
            ("Experiments:mnist:Data:TrainCount", 64),
            ("Experiments:mnist:Data:TestCount", 32),
            ("Experiments:mnist:Model:Width", 8),
            ("Experiments:mnist:Model:Layers", 2),
            ("Experiments:mnist:Training:Epochs", 1),
            ("Experiments:mnist:Training:BatchSize", 32),
            ("Experiments:mnist:Training:Pgd:Enabled", true),
            ("Experiments:mnist:Training:Pgd:Steps", 1),
            ("Experiments:mnist:Evaluation:Epsilons", JsonNode.Parse("[0, 0.1]")),
            ("Experiments:mnist:Evaluation:Pgd:Steps", 2));

        var run = Robustnode.Run(folder, ["train", "--experiment", "mnist"], settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var dir = Run(folder, "mnist");
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
        Assert.Equal(64, (int)report["data"]!["trainCount"]!);
        Assert.Equal(["standard", "augmented", "pgd"], report["trainers"]!.AsArray().Select(t => (string)t!["name"]!));
        Assert.Equal(["data.png", "accuracy.png", "training.png"], report["plots"]!.AsArray().Select(p => (string)p!));
        foreach (var plot in new[] { "data.png", "accuracy.png", "training.png" }) AssertPng(Path.Combine(dir, plot));
        Assert.False(File.Exists(Path.Combine(dir, "level-sets.png")));
        Assert.Contains("conv-ode(inputChannels=1, imageSize=28, classes=10, width=8, layers=2", (string?)report["model"]!["description"]);

        var grid = folder.File("grid.png");
        var attack = Robustnode.Run(folder, ["attack", "--model", Path.Combine(dir, "models", "augmented.ckpt"), "--count", "4", "--out", grid], settings);
        Assert.True(attack.ExitCode == ExitCodes.Success, attack.Error);
        AssertPng(grid);

        var evaluate = Robustnode.Run(folder, ["evaluate", "--model", Path.Combine(dir, "models", "pgd.ckpt"), "--attack", "fgsm"], settings);
        Assert.True(evaluate.ExitCode == ExitCodes.Success, evaluate.Error);
        Assert.Contains("| pgd | fgsm-inf |", evaluate.Out);
    }
}
