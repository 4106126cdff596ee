using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using RobustNode.Training;
using RobustNode.Training.Checkpoints;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>The default job, <c>robustnode</c> without a verb: training, evaluation, reports, plots, checkpoints and resuming.</summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public class TrainVerbTests
{
    private static readonly string[] Plots = ["data.png", "level-sets.png", "attacks.png", "trajectories.png", "flow.gif", "accuracy.png", "training.png"];

    [Fact]
    public void The_default_job_trains_all_three_trainers_and_writes_reports_models_and_plots()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, [], TinyMoons(folder));

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var dir = Run(folder, "moons");
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
        Assert.Equal("moons", (string?)report["run"]);
        Assert.Equal("moons", (string?)report["experiment"]);
        Assert.Equal(56, (int)report["data"]!["trainCount"]!);
        Assert.Equal(24, (int)report["data"]!["testCount"]!);
        Assert.Equal([0, 0.1, 0.2], report["evaluation"]!["epsilons"]!.AsArray().Select(e => (double)e!));
        var trainers = report["trainers"]!.AsArray();
        Assert.Equal(["standard", "augmented", "pgd"], trainers.Select(t => (string)t!["name"]!));
        foreach (var t in trainers)
        {
            Assert.Equal(2, (int)t!["epochs"]!);
            Assert.Equal(2, t["history"]!.AsArray().Count);
            Assert.InRange((double)t["cleanAccuracy"]!, 0, 1);
            var curves = t["robustness"]!.AsArray();
            // The suite the moons enable by default, robust accuracy as the worst case per sample over it, and — the talk's
            // network has a Lipschitz bound (the stage recurrence of its field) — the certified curve.
            Assert.Equal(["fgsm-inf", "pgd2-inf", "apgd-ce-inf", "apgd-dlr-inf", "square-inf", "worst-case-inf", "certified-inf"], curves.Select(c => (string)c!["attack"]!));
            foreach (var c in curves) Assert.Equal(3, c!["points"]!.AsArray().Count);
            for (int j = 0; j < 3; j++)
                Assert.True((double)curves[5]!["points"]![j]!["accuracy"]! <= curves.Take(5).Min(c => (double)c!["points"]![j]!["accuracy"]!));
            var checks = t["sanity"]!["checks"]!.AsArray().Select(c => (string)c!["check"]!).ToArray();
            Assert.Equal(["monotone", "covering-radius", "gradient-free-gap"], checks.Distinct());
            Assert.True((double)t["sanity"]!["coveringRadius"]! > 0);
            Assert.True((double)t["secondsPerEpoch"]!["median"]! > 0);
            Assert.True(File.Exists(Path.Combine(dir, (string)t["model"]!)));
        }
        Assert.True((double)report["timing"]!["augmentedOverStandard"]! > 0);
        Assert.Equal(Plots, report["plots"]!.AsArray().Select(p => (string)p!));
        Assert.NotNull(report["settings"]!["model"]);
        Assert.Equal("80", (string?)report["configuration"]!["Data:Size"]);

        var markdown = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("| model | attack | clean | ε = 0 | ε = 0.1 | ε = 0.2 |", markdown);
        Assert.Contains("| augmented | pgd2-inf |", markdown);
        Assert.Contains("| augmented | worst-case-inf |", markdown);
        Assert.Contains("- `apgd-dlr-inf`: targeted margin loss", markdown);
        Assert.Contains("## Sanity checks", markdown);
        Assert.Contains("**standard**:", markdown);
        Assert.Equal(["fgsm-inf", "pgd2-inf", "apgd-ce-inf", "apgd-dlr-inf", "square-inf"], report["evaluation"]!["attacks"]!.AsArray().Select(a => (string)a!["name"]!));
        Assert.Equal("worst-case-inf", (string?)report["evaluation"]!["worstCase"]);
        Assert.Contains("median time / standard", markdown);
        Assert.Contains("![level-sets.png](level-sets.png)", markdown);
        Assert.Contains("| model.seed | `3` |", markdown);
        foreach (var plot in Plots.Where(p => p.EndsWith(".png"))) AssertPng(Path.Combine(dir, plot));
        AssertGif(Path.Combine(dir, "flow.gif"), frames: 4);
        Assert.Contains("![flow.gif](flow.gif)", markdown);
        foreach (var trainer in new[] { "standard", "augmented", "pgd" })
        {
            var model = CheckpointSerializer.Deserialize(File.ReadAllBytes(Path.Combine(dir, "models", trainer + ".ckpt")));
            Assert.True(model.IsSucc);
            Assert.Equal(2, model.Match(c => c.Epoch, _ => -1));
            Assert.True(File.Exists(Path.Combine(dir, "checkpoints", trainer + ".ckpt")));
            Assert.True(File.Exists(Path.Combine(dir, "checkpoints", trainer + ".history.json")));
        }
        Assert.Contains("| standard | fgsm-inf |", run.Out);
        Assert.Contains(run.Error.Split('\n'), l => l.StartsWith("augmented epoch 2/2") && l.Contains("train accuracy"));
        Assert.Contains(run.Log, l => l.Contains("Run moons finished"));
    }

    [Fact]
    public void A_run_resumed_after_one_epoch_ends_bit_identical_to_an_uninterrupted_run()
    {
        using var folder = new TempFolder();
        static (string, JsonNode?) Constant() => ("Experiments:moons:Training:Schedule:Name", "constant");
        var straight = Robustnode.Run(folder, ["train", "--name", "straight"], TinyMoons(folder, Constant()));
        Assert.True(straight.ExitCode == ExitCodes.Success, straight.Error);

        // "Killed" after the first epoch of every trainer: only the checkpoints survive.
        var first = Robustnode.Run(folder, ["train", "--name", "killed"], TinyMoons(folder, Constant(), ("Experiments:moons:Training:Epochs", 1)));
        Assert.True(first.ExitCode == ExitCodes.Success, first.Error);
        var killed = Run(folder, "killed");
        Directory.Delete(Path.Combine(killed, "models"), recursive: true);
        foreach (var file in Directory.GetFiles(killed)) File.Delete(file);

        var resumed = Robustnode.Run(folder, ["train", "--name", "killed", "--resume"], TinyMoons(folder, Constant()));
        Assert.True(resumed.ExitCode == ExitCodes.Success, resumed.Error);
        foreach (var trainer in new[] { "standard", "augmented", "pgd" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(Run(folder, "straight"), "models", trainer + ".ckpt")),
                File.ReadAllBytes(Path.Combine(killed, "models", trainer + ".ckpt")));
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(killed, "report.json")))!;
        Assert.All(report["trainers"]!.AsArray(), t =>
        {
            Assert.Equal(1, (int)t!["resumedFrom"]!);
            Assert.Equal(2, t["history"]!.AsArray().Count);
        });

        // Resuming a finished run retrains nothing and keeps the models.
        var again = Robustnode.Run(folder, ["train", "--name", "killed", "--resume"], TinyMoons(folder, Constant()));
        Assert.True(again.ExitCode == ExitCodes.Success, again.Error);
        Assert.Contains(again.Log, l => l.Contains("standard: finished (2 epochs in its checkpoint); not retrained"));
        Assert.DoesNotContain(again.Error.Split('\n'), l => l.Contains(" epoch "));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Run(folder, "straight"), "models", "pgd.ckpt")),
            File.ReadAllBytes(Path.Combine(killed, "models", "pgd.ckpt")));
    }

    [Fact]
    public void Resuming_with_a_corrupted_checkpoint_names_the_file_and_overwrites_nothing()
    {
        using var folder = new TempFolder();
        var settings = TinyMoons(folder, ("Experiments:moons:Training:Epochs", 1));
        Assert.Equal(ExitCodes.Success, Robustnode.Run(folder, [], settings).ExitCode);
        var dir = Run(folder, "moons");
        var checkpoint = Path.Combine(dir, "checkpoints", "augmented.ckpt");
        var bytes = File.ReadAllBytes(checkpoint);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(checkpoint, bytes);
        var before = Snapshot(dir);

        var run = Robustnode.Run(folder, ["--resume"], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("robustnode train: cannot resume run 'moons'", run.Error);
        Assert.Contains($"{checkpoint}: corrupted checkpoint: the SHA-256 checksum does not match the contents", run.Error);
        Assert.Equal(before, Snapshot(dir));
    }

    [Fact]
    public void Resuming_under_another_configuration_names_every_differing_setting()
    {
        using var folder = new TempFolder();
        Assert.Equal(ExitCodes.Success, Robustnode.Run(folder, [], TinyMoons(folder, ("Experiments:moons:Training:Epochs", 1))).ExitCode);
        var dir = Run(folder, "moons");
        var before = Snapshot(dir);

        // Two epochs change the cosine schedule's horizon; the learning rate changes the optimizer.
        var run = Robustnode.Run(folder, ["--resume"], TinyMoons(folder, ("Experiments:moons:Training:Optimizer:LearningRate", 0.05)));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        foreach (var trainer in new[] { "standard", "augmented", "pgd" })
            Assert.Contains($"{Path.Combine(dir, "checkpoints", trainer + ".ckpt")}: checkpoint does not match this run", run.Error);
        Assert.Contains("training.optimizer: 'adam(lr=0.02", run.Error);
        Assert.Contains("training.schedule: 'cosine(epochs=1", run.Error);
        Assert.Equal(before, Snapshot(dir));
    }

    [Fact]
    public void A_failed_run_keeps_the_previous_report()
    {
        using var folder = new TempFolder();
        Assert.Equal(ExitCodes.Success, Robustnode.Run(folder, [], TinyMoons(folder, ("Experiments:moons:Training:Epochs", 1))).ExitCode);
        var dir = Run(folder, "moons");
        var before = Snapshot(dir);
        File.WriteAllBytes(Path.Combine(dir, "checkpoints", "pgd.ckpt"), "not a checkpoint"u8.ToArray());
        before[Path.Combine("checkpoints", "pgd.ckpt")] = "not a checkpoint"u8.ToArray();

        var run = Robustnode.Run(folder, ["train", "--resume"], TinyMoons(folder, ("Experiments:moons:Training:Epochs", 1)));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("not a RobustNode checkpoint", run.Error);
        Assert.Equal(before, Snapshot(dir));
    }

    [Fact]
    public void A_diverging_run_exits_with_3_and_keeps_the_previous_results()
    {
        using var folder = new TempFolder();
        Assert.Equal(ExitCodes.Success, Robustnode.Run(folder, [], TinyMoons(folder, ("Experiments:moons:Training:Epochs", 1))).ExitCode);
        var dir = Run(folder, "moons");
        var before = Snapshot(dir);

        // SGD at a learning rate of 10⁶ drives the loss to about 10¹²³ without reaching NaN; the divergence rule stops it.
        var run = Robustnode.Run(folder, [], TinyMoons(folder, ("Experiments:moons:Training:Optimizer:Name", "sgd"), ("Experiments:moons:Training:Optimizer:LearningRate", 1e6)));

        Assert.Equal(ExitCodes.ComputationFailed, run.ExitCode);
        Assert.Contains($"robustnode train: training failed (error {TrainingErrors.DivergedCode}): standard: epoch 0, batch ", run.Error);
        Assert.Contains("training diverged: the standard objective", run.Error);
        Assert.Matches(@"to -?\d\.?\d*e\+\d+", run.Error);
        Assert.Equal(before, Snapshot(dir));
    }

    [Fact]
    public void An_unwritable_output_folder_is_named_and_nothing_is_trained()
    {
        using var folder = new TempFolder();
        var blocker = folder.Write("runs", "a file where the output folder should be");
        var run = Robustnode.Run(folder, [], TinyMoons(folder));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("robustnode train: cannot write the run", run.Error);
        Assert.Contains($"{Path.Combine(blocker, "moons")}: the output folder is not writable", run.Error);
        Assert.DoesNotContain(run.Error.Split('\n'), l => l.Contains(" epoch "));
    }

    [Fact]
    public void An_unknown_experiment_lists_the_known_ones()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["train", "--experiment", "bananas"], TinyMoons(folder));

        Assert.True(run.ExitCode == ExitCodes.InvalidInput, run.Error);
        Assert.Contains("--experiment: unknown experiment 'bananas'; known: circles, fashion-mnist, fashion-mnist-certified, fashion-mnist-nonexpansive, mnist, mnist-certified, mnist-dense-certified, mnist-nonexpansive, moons, moons-nonexpansive, spirals, spirals-nonexpansive", run.Error);
        Assert.False(Directory.Exists(folder.File("runs")));
    }

    [Fact]
    public void Settings_are_overridden_on_the_command_line()
    {
        using var folder = new TempFolder();
        var run = StandardOnCircles(folder, "--Experiments:circles:Evaluation:Pgd:Enabled=false");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(Run(folder, "c"), "report.json")))!;
        Assert.Equal("circles", (string?)report["experiment"]);
        Assert.Equal(["standard"], report["trainers"]!.AsArray().Select(t => (string)t!["name"]!));
        Assert.Equal([0, 0.3], report["evaluation"]!["epsilons"]!.AsArray().Select(e => (double)e!));
        Assert.Equal(1, (int)report["trainers"]![0]!["epochs"]!);
    }

    [Fact]
    public void A_pgd_test_count_limits_the_pgd_evaluation_and_the_report_says_so()
    {
        using var folder = new TempFolder();
        var run = StandardOnCircles(folder, "--Experiments:circles:Evaluation:Pgd:Steps=2", "--Experiments:circles:Evaluation:Pgd:TestCount=10");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Matches("\"testSamples\":\\s*10", File.ReadAllText(Path.Combine(Run(folder, "c"), "report.json")));
        var markdown = File.ReadAllText(Path.Combine(Run(folder, "c"), "report.md"));
        Assert.Contains("pgd2-inf (first 10 test samples)", markdown);
        Assert.DoesNotContain("fgsm-inf (first", markdown);
    }

    /// <summary>Run "c": standard training only, one epoch on 60 circles points, evaluated at ε = 0 and 0.3, with further overrides.</summary>
    private static HostRun StandardOnCircles(TempFolder folder, params string[] overrides) =>
        Robustnode.Run(folder,
            ["train", "--experiment", "circles", "--name", "c", "--Experiments:circles:Data:Size=60", "--Experiments:circles:Training:Epochs=1",
             "--Experiments:circles:Training:Pgd:Enabled=false", "--Experiments:circles:Training:Augmented:Enabled=false",
             "--Experiments:circles:Evaluation:Epsilons=0,0.3", "--Experiments:circles:Evaluation:Grid:Resolution=10", .. overrides],
            Robustnode.SettingsWith(("Output:Folder", folder.File("runs"))));

    /// <summary>Every file of a folder (recursively) with its bytes.</summary>
    internal static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);
}
