using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using RobustNode.Training;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>
/// Trainers side by side (an experiment with two threads on the managed engine): each trainer trains and is evaluated on
/// a thread of its own, and the run is bit-identical to the run of one trainer after another.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public class SideBySideTrainingTests
{
    private static readonly string[] Trainers = ["standard", "augmented", "pgd"];

    private static (string, JsonNode?) Threads(int threads) => ("Experiments:moons:Threads", threads);

    private static (string, JsonNode?) Constant() => ("Experiments:moons:Training:Schedule:Name", "constant");

    /// <summary>A run's report without its name and what depends on the clock or on the thread count.</summary>
    private static string Numbers(string dir)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
        void Strip(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                foreach (var key in new[] { "run", "finished", "secondsPerEpoch", "totalSeconds", "timing", "seconds", "cpuSeconds", "threads", "Threads" }) o.Remove(key);
                foreach (var (_, child) in o.ToArray()) Strip(child);
            }
            else if (node is JsonArray a) foreach (var child in a) Strip(child);
        }
        Strip(json);
        return json.ToJsonString();
    }

    [Fact]
    public void Trainers_side_by_side_give_the_report_and_checkpoints_of_trainers_one_after_another()
    {
        using var folder = new TempFolder();
        var after = Robustnode.Run(folder, ["train", "--name", "after"], TinyMoons(folder, Threads(1)));
        Assert.True(after.ExitCode == ExitCodes.Success, after.Error);
        var beside = Robustnode.Run(folder, ["train", "--name", "beside"], TinyMoons(folder, Threads(2)));
        Assert.True(beside.ExitCode == ExitCodes.Success, beside.Error);

        Assert.Contains(beside.Log, l => l.Contains("Trainers side by side: 2 at a time"));
        Assert.DoesNotContain(after.Log, l => l.Contains("side by side"));
        foreach (var trainer in Trainers)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(Run(folder, "after"), "models", trainer + ".ckpt")),
                File.ReadAllBytes(Path.Combine(Run(folder, "beside"), "models", trainer + ".ckpt")));
            // One whole line per epoch and trainer, however the trainers' lines alternate.
            Assert.Equal(2, beside.Error.Split('\n').Count(l => l.StartsWith(trainer.PadRight(9) + " epoch ", StringComparison.Ordinal) && l.EndsWith(" s", StringComparison.Ordinal)));
        }
        Assert.Equal(Numbers(Run(folder, "after")), Numbers(Run(folder, "beside")));
        Assert.Equal(after.Out, beside.Out);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(Run(folder, "beside"), "report.json")))!;
        Assert.Equal(Trainers, report["trainers"]!.AsArray().Select(t => (string)t!["name"]!));
    }

    [Fact]
    public void A_side_by_side_run_resumed_after_one_epoch_ends_bit_identical_to_an_uninterrupted_run_one_after_another()
    {
        using var folder = new TempFolder();
        var straight = Robustnode.Run(folder, ["train", "--name", "straight"], TinyMoons(folder, Constant(), Threads(1)));
        Assert.True(straight.ExitCode == ExitCodes.Success, straight.Error);

        // "Killed" after the first epoch of every trainer: only the checkpoints survive.
        var first = Robustnode.Run(folder, ["train", "--name", "killed"], TinyMoons(folder, Constant(), Threads(2), ("Experiments:moons:Training:Epochs", 1)));
        Assert.True(first.ExitCode == ExitCodes.Success, first.Error);
        var killed = Run(folder, "killed");
        Directory.Delete(Path.Combine(killed, "models"), recursive: true);
        foreach (var file in Directory.GetFiles(killed)) File.Delete(file);

        var resumed = Robustnode.Run(folder, ["train", "--name", "killed", "--resume"], TinyMoons(folder, Constant(), Threads(2)));
        Assert.True(resumed.ExitCode == ExitCodes.Success, resumed.Error);
        foreach (var trainer in Trainers)
            Assert.Equal(File.ReadAllBytes(Path.Combine(Run(folder, "straight"), "models", trainer + ".ckpt")),
                File.ReadAllBytes(Path.Combine(killed, "models", trainer + ".ckpt")));
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(killed, "report.json")))!;
        Assert.All(report["trainers"]!.AsArray(), t => Assert.Equal(1, (int)t!["resumedFrom"]!));
        Assert.Equal(Numbers(Run(folder, "straight")).Replace("\"resumedFrom\":0", "\"resumedFrom\":1"), Numbers(killed));
    }

    [Fact]
    public void A_failing_trainer_side_by_side_exits_with_3_names_the_first_failure_and_keeps_the_previous_results()
    {
        using var folder = new TempFolder();
        Assert.Equal(ExitCodes.Success, Robustnode.Run(folder, [], TinyMoons(folder, Threads(2), ("Experiments:moons:Training:Epochs", 1))).ExitCode);
        var dir = Run(folder, "moons");
        var before = TrainVerbTests.Snapshot(dir);

        // SGD at a learning rate of 10⁶ diverges in every trainer; one after another, the standard trainer's is the failure reported.
        var run = Robustnode.Run(folder, [], TinyMoons(folder, Threads(2),
            ("Experiments:moons:Training:Optimizer:Name", "sgd"), ("Experiments:moons:Training:Optimizer:LearningRate", 1e6)));

        Assert.Equal(ExitCodes.ComputationFailed, run.ExitCode);
        Assert.Contains($"robustnode train: training failed (error {TrainingErrors.DivergedCode}): standard: epoch 0, batch ", run.Error);
        Assert.Single(run.Error.Split('\n'), l => l.StartsWith("robustnode train:", StringComparison.Ordinal));
        Assert.Equal(before, TrainVerbTests.Snapshot(dir));
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(dir)!, "*", SearchOption.AllDirectories), f => !f.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }
}
