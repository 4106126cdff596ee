using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>
/// A point-cloud training run (two moons, float64) gives the same per-epoch train accuracies and the same test accuracy
/// on the managed engine as on TorchSharp from the same seeds, its losses agree to rounding, and on each engine a run
/// resumed from a mid-run checkpoint ends bit-identical to the uninterrupted run.
/// </summary>
public sealed class ManagedTrainingEqualsTorch
{
    private static readonly PointCloudModel Config = new(Dim: 3, Layers: 4);
    private const long ModelSeed = 5;
    private readonly DatasetSplit _data = Moons(90, 4);
    private readonly ManagedEngine<double> _managed = new();

    public ManagedTrainingEqualsTorch() => Initialise();

    private static TrainingOptions Options(string objective) => objective switch
    {
        "augmented" => new TrainingOptions(new AugmentedObjective(0.1, AttackNorm.Infinity) { WarmupEpochs = 2 }, new Adam(0.02), Epochs: 5, BatchSize: 16, Seed: 7)
            { Schedule = new CosineDecay(5, 0.1) },
        "adversarial" => new TrainingOptions(new AdversarialObjective(Pgd.Madry(0.1, AttackNorm.Two, steps: 3)), new Sgd(0.1, 0.9, Nesterov: true), Epochs: 5, BatchSize: 16, Seed: 7),
        _ => new TrainingOptions(new StandardObjective(), new Sgd(0.1, 0.5), Epochs: 5, BatchSize: 16, Seed: 7),
    };

    [Theory]
    [InlineData("standard")]
    [InlineData("augmented")]
    [InlineData("adversarial")]
    public void Managed_and_torch_training_reach_the_same_accuracies_and_each_resumes_bit_identically(string objective)
    {
        var options = Options(objective);
        using var torchScope = NewDisposeScope();
        using var managedScope = _managed.OpenScope();
        var (torchHistory, torchTest) = Train(TorchEngine.Instance, options);
        var (managedHistory, managedTest) = Train(_managed, options);

        Assert.Equal(torchHistory.Select(m => m.TrainAccuracy), managedHistory.Select(m => m.TrainAccuracy));
        Assert.Equal(torchTest, managedTest);
        foreach (var (t, m) in torchHistory.Zip(managedHistory))
            Assert.True(Math.Abs(t.Loss - m.Loss) <= 1e-9 * Math.Max(1, Math.Abs(t.Loss)), $"epoch {t.Epoch}: loss {t.Loss} on torch, {m.Loss} managed");

        ResumesBitIdentically(TorchEngine.Instance, Config, ModelSeed, _data.Train, options);
        ResumesBitIdentically(_managed, Config, ModelSeed, _data.Train, options);
    }

    private (IReadOnlyList<EpochMetrics> History, double TestAccuracy) Train<T>(IEngine<T> engine, TrainingOptions options)
    {
        var state = Ok(Trainer.Start(Ok(Config.Build(engine, ModelSeed)), options));
        var history = Ok(Trainer.Run(state, _data.Train, options));
        return (history.Epochs, Ok(Classification.Accuracy(state.Model, _data.Test)));
    }
}
