using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Solvers;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;

namespace RobustNode.Samples.RobustTraining;

/// <summary>What to train: the moons point cloud, the network, the radius and the robust objective.</summary>
/// <param name="Points">Points generated (70 % train, 30 % test).</param>
/// <param name="Epochs">Training epochs of each objective.</param>
/// <param name="Epsilon">The ℓ∞ radius trained for and attacked with.</param>
/// <param name="Objective">The robust objective: gradalign, llr, augmented-adversarial, trades or fgsm-rs.</param>
/// <param name="Seed">Seed of data, initialisation and training.</param>
public sealed record SampleSettings(int Points = 1000, int Epochs = 20, double Epsilon = 0.15, string Objective = "gradalign", long Seed = 1);

/// <summary>One trained model's scores: clean accuracy and accuracy under FGSM and PGD-20 at ε, and its time per epoch.</summary>
public sealed record SampleScores(string Trainer, string Objective, double Clean, double Fgsm, double Pgd, double SecondsPerEpoch);

/// <summary>
/// Robust training from code, without the host: a point-cloud neural ODE (the seed talk's network: zero padding, an RK4
/// ODE block of N layers, a linear read-out) trained on moons with standard training and with one robust objective whose
/// control gradient comes from the second-order adjoint, then evaluated clean and under FGSM and PGD.
/// </summary>
public static class RobustTrainingSample
{
    /// <summary>The robust objective of a name, at radius ε in the max-norm.</summary>
    public static Fin<ITrainingObjective> Objective(string name, double epsilon) => name switch
    {
        "gradalign" => new GradAlignObjective(epsilon, AttackNorm.Infinity) { Weight = 0.5 },
        "llr" => new LlrObjective(epsilon, AttackNorm.Infinity) { LinearityWeight = 1, GradientWeight = 0.5 },
        "augmented-adversarial" => new AugmentedAdversarialObjective(epsilon, AttackNorm.Infinity),
        "trades" => new TradesObjective(epsilon, AttackNorm.Infinity) { Weight = 1 },
        "fgsm-rs" => new FgsmRsObjective(epsilon, AttackNorm.Infinity),
        _ => LanguageExt.Common.Error.New($"unknown objective '{name}'; known: gradalign, llr, augmented-adversarial, trades, fgsm-rs"),
    };

    /// <summary>Trains and evaluates standard training and the robust objective; every failure is a value naming what is wrong.</summary>
    public static Fin<IReadOnlyList<SampleScores>> Run(SampleSettings settings, IProgress<EpochMetrics>? progress = null) =>
        from split in new Moons(Noise: 0.2).Generate(settings.Points, settings.Seed).Bind(d => d.Split(testFraction: 0.3, settings.Seed))
        from robust in Objective(settings.Objective, settings.Epsilon)
        from standard in Train(split, new StandardObjective(), "standard", settings, progress)
        from trained in Train(split, robust, settings.Objective, settings, progress)
        select (IReadOnlyList<SampleScores>)[standard, trained];

    private static Fin<SampleScores> Train(DatasetSplit data, ITrainingObjective objective, string name, SampleSettings settings, IProgress<EpochMetrics>? progress)
    {
        var model = new PointCloudModel(Dim: 4, Layers: 10) { Solver = SolverCatalog.Fixed(Tableaux.Rk4) };
        var options = new TrainingOptions(objective, new Adam(0.02), settings.Epochs, BatchSize: 32, settings.Seed) { Schedule = new CosineDecay(settings.Epochs) };
        var pgd = Pgd.Madry(settings.Epsilon, AttackNorm.Infinity, steps: 20, seed: settings.Seed) with { Restarts = 3 };
        return
            from network in model.Build(TorchEngine.Instance, settings.Seed)
            from state in Trainer.Start(network, options)
            from history in Trainer.Run(state, data.Train, options, progress)
            from clean in Classification.Accuracy(state.Model, data.Test)
            from fgsm in Robustness.AccuracyUnderAttack(state.Model, data.Test, new Fgsm(settings.Epsilon, AttackNorm.Infinity))
            from underPgd in Robustness.AccuracyUnderAttack(state.Model, data.Test, pgd)
            select new SampleScores(name, objective.Describe(), clean, fgsm, underPgd,
                history.Epochs.Select(e => e.WallTime.TotalSeconds).Order().ElementAt(history.Epochs.Count / 2));
    }
}
