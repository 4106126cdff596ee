using System.Text.Json.Nodes;
using RobustNode.Core.Norms;
using RobustNode.Host.Composition;
using RobustNode.Host.Experiments;
using RobustNode.Host.Runs;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Training.Data;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>The Experiments section is validated at start-up, every bad key of every experiment reported at once.</summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public class ExperimentConfigurationTests
{
    [Fact]
    public void Every_bad_experiment_setting_is_reported_at_once_naming_its_key()
    {
        using var folder = new TempFolder();
        var settings = TinyMoons(folder,
            ("Experiments:moons:Data:Generator", "bananas"),
            ("Experiments:moons:Data:TestFraction", 1.5),
            ("Experiments:moons:Model:Solver", "rk5"),
            ("Experiments:moons:Model:Adjoint", "magic"),
            ("Experiments:moons:Model:Layres", 4),
            ("Experiments:moons:Training:Epochs", 0),
            ("Experiments:moons:Training:Optimizer:Momentum", 0.9),
            ("Experiments:moons:Training:Augmented:Norm", "3"),
            ("Experiments:moons:Training:Pgd:Epsilon", -0.1),
            ("Experiments:moons:Training:Pgd:WarmupEpochs", -2),
            ("Experiments:moons:Evaluation:Pgd:TestCount", -5),
            ("Experiments:moons:Evaluation:Epsilons", JsonNode.Parse("[0, -0.1]")),
            ("Experiments:circles:Evaluation:Epsilons", "0,abc"),
            ("Experiments:spirals:Model:Solver", "rk4"),
            ("Experiments:spirals:Model:RelativeTolerance", 1e-5),
            ("Experiments:mnist:Model:Dim", 4),
            ("Experiments:mnist:Evaluation:InputBox", JsonNode.Parse("[1, 0]")));

        var run = Robustnode.Run(folder, [], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("robustnode: invalid configuration", run.Error);
        string[] expected =
        [
            "Experiments:moons:Data:Generator: unknown point cloud 'bananas'; known: moons, circles, spirals",
            "Experiments:moons:Data:TestFraction: must lie in (0, 1), got 1.5",
            "Experiments:moons:Model:Solver: unknown solver 'rk5'; known: euler,",
            "Experiments:moons:Model:Adjoint: expected discrete, stored, checkpoint or backsolve, got 'magic'",
            "Experiments:moons:Model:Layres: unknown setting",
            "Experiments:moons:Training:Epochs: must be at least 1, got 0",
            "Experiments:moons:Training:Optimizer:Momentum: does not apply to adam",
            "Experiments:moons:Training:Augmented:Norm: expected inf, 2 or 1, got '3'",
            "Experiments:moons:Training:Pgd:Epsilon: must be positive, got -0.1",
            "Experiments:moons:Training:Pgd:WarmupEpochs: must be at least 0, got -2",
            "Experiments:moons:Evaluation:Pgd:TestCount: must be at least 0, got -5",
            "Experiments:moons:Evaluation:Epsilons[1]: an attack radius must not be negative, got -0.1",
            "Experiments:circles:Evaluation:Epsilons[1]: expected a number, got 'abc'",
            "Experiments:spirals:Model:Solver: 'rk4' has no embedded error estimate, so it cannot take adaptive steps",
            "Experiments:mnist:Model:Dim: unknown setting",
            "Experiments:mnist:Evaluation:InputBox: needs min < max, got [1, 0]",
        ];
        foreach (var line in expected) Assert.Contains(line, run.Error);
        Assert.False(Directory.Exists(folder.File("runs")));
    }

    [Fact]
    public void A_pgd_warm_up_reaches_the_objective_in_network_units()
    {
        var trainer = new TrainerSettings("pgd", TrainerKind.Pgd, Epsilon: 0.2, Norm: AttackNorm.Infinity, WarmupEpochs: 3, Steps: 4);
        var objective = Assert.IsType<AdversarialObjective>(Objectives.For(trainer, new InputScale(0.5, 0.25), null));
        Assert.Equal(3, objective.WarmupEpochs);
        Assert.Equal(0.8, objective.EpsilonAt(3), 12);
        Assert.Equal(0.4, objective.EpsilonAt(1) * 1.5, 12);
    }

    [Fact]
    public void A_pgd_evaluation_with_a_test_count_attacks_the_first_test_samples_only()
    {
        var test = Dataset.FromArrays(new double[,] { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 6, 7 } }, [0, 1, 0, 1], 2, "four").Match(d => d, e => throw new InvalidOperationException(e.Message));
        var pgd = AttackFamily.Pgd(AttackNorm.Infinity, steps: 20);
        var firstTwo = new EvaluationAttack(pgd, TestCount: 2).Samples(test);
        Assert.Equal(2, firstTwo.Count);
        Assert.Equal(new double[] { 0, 1, 2, 3 }, firstTwo.X.to_type(TorchSharp.torch.ScalarType.Float64).data<double>().ToArray());
        Assert.Same(test, new EvaluationAttack(pgd).Samples(test));
        Assert.Same(test, new EvaluationAttack(pgd, TestCount: 10).Samples(test));
    }

    [Fact]
    public void Adaptive_solvers_and_every_registered_tableau_are_accepted()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["train", "--Experiments:moons:Model:Solver=ralston-copy", "--Experiments:moons:Training:Epochs=1",
                "--Experiments:moons:Training:Pgd:Enabled=false", "--Experiments:moons:Training:Augmented:Enabled=false"],
            TinyMoons(folder));
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(Run(folder, "moons"), "report.json")))!;
        Assert.Contains("solver=ralston-copy/fixed(1 per layer)", (string?)report["model"]!["description"]);

        var adaptive = Robustnode.Run(folder, ["train", "--name", "adaptive", "--Experiments:moons:Model:Solver=dopri5",
                "--Experiments:moons:Model:RelativeTolerance=1e-4", "--Experiments:moons:Training:Epochs=1",
                "--Experiments:moons:Training:Pgd:Enabled=false", "--Experiments:moons:Training:Augmented:Enabled=false"],
            TinyMoons(folder));
        Assert.True(adaptive.ExitCode == ExitCodes.Success, adaptive.Error);
        var adaptiveReport = JsonNode.Parse(File.ReadAllText(Path.Combine(Run(folder, "adaptive"), "report.json")))!;
        Assert.Contains("solver=dopri5/adaptive(rtol=0.0001", (string?)adaptiveReport["model"]!["description"]);
    }

    [Fact]
    public void Missing_image_files_are_named_with_their_key_and_nothing_is_written()
    {
        using var folder = new TempFolder();
        var settings = Robustnode.SettingsWith(
            ("Output:Folder", folder.File("runs")),
            ("Experiments:mnist:Data:Images", folder.File("nowhere/images-idx3-ubyte")),
            ("Experiments:mnist:Data:Labels", folder.File("nowhere/labels-idx1-ubyte")));

        var run = Robustnode.Run(folder, ["train", "--experiment", "mnist"], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("robustnode train: cannot load the data of experiment 'mnist'", run.Error);
        Assert.Contains($"Experiments:mnist:Data:Images: cannot read '{folder.File("nowhere/images-idx3-ubyte")}'", run.Error);
        Assert.Contains($"Experiments:mnist:Data:Labels: cannot read '{folder.File("nowhere/labels-idx1-ubyte")}'", run.Error);
        Assert.Contains("no such file; scripts/prepare-data.sh installs the image data sets", run.Error);
        Assert.False(Directory.Exists(folder.File("runs")));
    }

    [Fact]
    public void An_image_file_that_is_not_idx_is_named()
    {
        using var folder = new TempFolder();
        var images = folder.Write("images", "this is not an IDX file");
        var labels = folder.Write("labels", "nor is this");
        var settings = Robustnode.SettingsWith(("Output:Folder", folder.File("runs")),
            ("Experiments:mnist:Data:Images", images), ("Experiments:mnist:Data:Labels", labels));

        var run = Robustnode.Run(folder, ["train", "--experiment", "mnist"], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"Experiments:mnist:Data:Images: {images}: bad magic number", run.Error);
        Assert.Contains($"Experiments:mnist:Data:Labels: {labels}: bad magic number", run.Error);
    }
}
