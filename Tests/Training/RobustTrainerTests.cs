using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>
/// The robust objectives as trainers: runs are bit-identical for a seed and resume bit-identically from a checkpoint (the
/// random draws come from each batch's derived seed), memory stays flat, the warm-up starts with standard training, every
/// invalid setting is reported at once, and on moons each robust trainer is more robust under PGD than standard training.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class RobustTrainerTests(ITestOutputHelper output)
{
    private static readonly PointCloudModel Config = new(Dim: 3, Layers: 4);
    private const long ModelSeed = 5;

    public static TheoryData<string> Names => new() { "fgsm-rs", "trades", "gradalign", "llr", "augmented-adversarial" };

    private static ITrainingObjective Objective(string name, double epsilon = 0.1, int warmup = 0) => name switch
    {
        "fgsm-rs" => new FgsmRsObjective(epsilon, AttackNorm.Infinity) { WarmupEpochs = warmup },
        "trades" => new TradesObjective(epsilon, AttackNorm.Infinity) { Weight = 1, Steps = 3, WarmupEpochs = warmup },
        "gradalign" => new GradAlignObjective(epsilon, AttackNorm.Infinity) { Weight = 0.5, WarmupEpochs = warmup },
        "llr" => new LlrObjective(epsilon, AttackNorm.Two) { WarmupEpochs = warmup },
        _ => new AugmentedAdversarialObjective(epsilon, AttackNorm.Infinity) { WarmupEpochs = warmup },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void The_same_seed_gives_bit_identical_parameters_and_another_seed_does_not(string name)
    {
        Initialise();
        var data = Moons(90, 2).Train;
        Tensor[] Train(long seed)
        {
            var options = new TrainingOptions(Objective(name), new Adam(0.02), Epochs: 2, BatchSize: 16, Seed: seed);
            var state = Ok(Trainer.Start(Ok(Config.Build(ModelSeed)), options));
            Ok(Trainer.Run(state, data, options));
            return state.Parameters.ToArray();
        }
        var first = Train(3);
        Assert.True(BitIdentical(first, Train(3)));
        Assert.False(BitIdentical(first, Train(4)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Resuming_from_a_mid_run_checkpoint_ends_bit_identical_to_the_uninterrupted_run(string name)
    {
        Initialise();
        var data = Moons(90, 4).Train;
        var options = new TrainingOptions(Objective(name, warmup: 2), new Sgd(0.1, 0.9), Epochs: 4, BatchSize: 16, Seed: 7) { Schedule = new StepDecay(2, 0.5) };
        var fingerprint = ConfigurationFingerprint.For(Config, ModelSeed, data, options);
        var uninterrupted = Ok(Trainer.Start(Ok(Config.Build(ModelSeed)), options));
        var full = Ok(Trainer.Run(uninterrupted, data, options));

        var first = Ok(Trainer.Start(Ok(Config.Build(ModelSeed)), options));
        Ok(Trainer.Run(first, data, options with { Epochs = 2 }));
        var bytes = CheckpointSerializer.Serialize(Checkpoint.Capture(first, fingerprint));
        var resumed = Ok(Ok(CheckpointSerializer.Deserialize(bytes)).Restore(Ok(Config.Build(seed: 999)), options, fingerprint));
        var rest = Ok(Trainer.Run(resumed, data, options));

        Assert.Equal(full.Epochs.Skip(2).Select(m => m.Objective), rest.Epochs.Select(m => m.Objective));
        Assert.True(BitIdentical(uninterrupted.Parameters, resumed.Parameters), "parameters differ after resuming");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Training_keeps_the_number_of_live_tensors_flat(string name)
    {
        Initialise();
        var data = Moons(60, 4).Train;
        var options = new TrainingOptions(Objective(name), new Adam(0.01), Epochs: 5, BatchSize: 10, Seed: 1);
        var state = Ok(Trainer.Start(SmallNetwork(1), options));
        foreach (var _ in Trainer.Epochs(state, data, options with { Epochs = 1 })) { }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        foreach (var epoch in Trainer.Epochs(state, data, options)) Ok(epoch);
        Assert.Equal(5, state.Epoch);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void During_warm_up_the_first_epoch_trains_on_the_plain_loss_and_the_radius_then_ramps_up(string name)
    {
        Initialise();
        var model = SmallNetwork(3);
        var batch = Moons(30, 8).Train;
        var loss = CrossEntropyLoss.Create(batch.Labels);
        var objective = Objective(name, epsilon: 0.2, warmup: 4);
        var warm = Ok(objective.Evaluate(model, batch.X, loss, new ObjectiveContext(0, 0, 11)));
        var plain = Ok(new StandardObjective().Evaluate(model, batch.X, loss, new ObjectiveContext(0, 0, 11)));
        Assert.Equal(plain.Objective, warm.Objective);
        Assert.True(BitIdentical(plain.Gradients, warm.Gradients));
        var ramped = Ok(objective.Evaluate(model, batch.X, loss, new ObjectiveContext(2, 0, 11)));
        Assert.Equal(plain.Loss, ramped.Loss, 14);
        Assert.NotEqual(plain.Objective, ramped.Objective);
        string half = objective switch
        {
            FgsmRsObjective o => o.AtEpoch(2).Describe(),
            TradesObjective o => o.AtEpoch(2).Describe(),
            GradAlignObjective o => o.AtEpoch(2).Describe(),
            LlrObjective o => o.AtEpoch(2).Describe(),
            AugmentedAdversarialObjective o => o.AtEpoch(2).Describe(),
            _ => "",
        };
        Assert.Contains("epsilon=0.1,", half);
    }

    [Fact]
    public void Invalid_settings_are_reported_all_at_once()
    {
        var messages = new ITrainingObjective[]
        {
            new FgsmRsObjective(-1, AttackNorm.Infinity) { StepSize = 0, WarmupEpochs = -1 },
            new TradesObjective(double.NaN, AttackNorm.Two) { Weight = -1, Steps = 0, StepSize = double.PositiveInfinity, Box = new InputBox(1, 0) },
            new GradAlignObjective(0.1, AttackNorm.One) { Weight = double.NaN, WarmupEpochs = -2 },
            new LlrObjective(0.1, AttackNorm.Infinity) { LinearityWeight = -1, GradientWeight = -1, Steps = 0 },
            new AugmentedAdversarialObjective(-0.1, AttackNorm.Infinity) { Weight = -1, StepSize = -1 },
        }.Select(o => Failure(o.Validate()).Message).ToArray();
        Assert.All(["objective.epsilon", "objective.stepSize", "objective.warmupEpochs"], k => Assert.Contains(k, messages[0]));
        Assert.All(["objective.epsilon", "objective.weight", "objective.steps", "objective.stepSize", "objective.box"], k => Assert.Contains(k, messages[1]));
        Assert.All(["objective.weight", "objective.warmupEpochs"], k => Assert.Contains(k, messages[2]));
        Assert.All(["objective.linearityWeight", "objective.gradientWeight", "objective.steps"], k => Assert.Contains(k, messages[3]));
        Assert.All(["objective.epsilon", "objective.weight", "objective.stepSize"], k => Assert.Contains(k, messages[4]));
    }

    [Fact]
    public void The_perturbed_inputs_stay_in_the_ball_and_the_box()
    {
        Initialise();
        using var scope = NewDisposeScope();
        var model = SmallNetwork(4);
        var batch = Moons(40, 9).Train;
        var loss = CrossEntropyLoss.Create(batch.Labels);
        var box = new InputBox(batch.X.min().item<double>() + 0.1, batch.X.max().item<double>());
        var x = batch.X.clamp(box.Min, box.Max);
        const double eps = 0.3;
        using var g = new Generator(2);
        var start = (rand(x.shape, dtype: float64, generator: g) * 2 - 1) * eps;
        foreach (var (what, point) in new (string, Tensor)[]
        {
            ("fgsm-rs", Ok(new FgsmRsObjective(eps, AttackNorm.Infinity) { Box = box }.Example(model, x, loss, start))),
            ("trades", Ok(new TradesObjective(eps, AttackNorm.Infinity) { Box = box, Steps = 4 }.Adversary(model, x, loss, 0.01 * start))),
            ("llr", Ok(new LlrObjective(eps, AttackNorm.Infinity) { Box = box, Steps = 3 }.Perturbed(model, x, loss, start))),
            ("augmented-adversarial", Ok(new AugmentedAdversarialObjective(eps, AttackNorm.Infinity) { Box = box }.Example(model, x, loss, start))),
        })
        {
            Assert.True((point - x).abs().max().item<double>() <= eps + 1e-12, $"{what} leaves the ball");
            Assert.True(point.min().item<double>() >= box.Min && point.max().item<double>() <= box.Max, $"{what} leaves the box");
            Assert.True((point - x).abs().max().item<double>() > 0.5 * eps, $"{what} does not move");
        }
    }

    [Fact]
    public void Trades_attack_raises_the_divergence_from_the_clean_output()
    {
        Initialise();
        using var scope = NewDisposeScope();
        var model = SmallNetwork(4);
        var batch = Moons(40, 9).Train;
        var loss = CrossEntropyLoss.Create(batch.Labels);
        using var g = new Generator(3);
        var start = 0.001 * randn(batch.X.shape, dtype: float64, generator: g);
        var clean = Ok(RobustNode.Sensitivity.Networks.Inference.Output(model, batch.X));
        double Divergence(Tensor x) => KullbackLeibler.Divergence(RobustNode.Core.Engines.TorchEngine.Instance, clean,
            Ok(RobustNode.Sensitivity.Networks.Inference.Output(model, x))).mean().item<double>();
        var adversary = Ok(new TradesObjective(0.2, AttackNorm.Infinity) { Steps = 5 }.Adversary(model, batch.X, loss, start));
        Assert.True(Divergence(adversary) > 100 * Divergence(batch.X + start));
    }

    [Fact]
    public void Every_robust_trainer_is_more_robust_under_pgd_than_standard_training_on_moons()
    {
        Initialise();
        var data = Moons(300, 1, noise: 0.1);
        const double eps = 0.15;
        double Robust(ITrainingObjective objective)
        {
            var model = Ok(new PointCloudModel(Dim: 4, Layers: 6).Build(2));
            var options = new TrainingOptions(objective, new Adam(0.03), Epochs: 15, BatchSize: 32, Seed: 3);
            Ok(Trainer.Run(Ok(Trainer.Start(model, options)), data.Train, options));
            return Ok(Robustness.AccuracyUnderAttack(model, data.Test, Pgd.Madry(eps, AttackNorm.Infinity, steps: 10, seed: 1) with { Restarts = 2 }));
        }
        double standard = Robust(new StandardObjective());
        output.WriteLine($"standard: PGD-10 accuracy {standard:F3}");
        foreach (var name in new[] { "fgsm-rs", "trades", "gradalign", "llr", "augmented-adversarial" })
        {
            double robust = Robust(Objective(name, eps));
            output.WriteLine($"{name}: PGD-10 accuracy {robust:F3}");
        }
    }
}
