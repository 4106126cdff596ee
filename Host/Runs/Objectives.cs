using RobustNode.Core.Norms;
using RobustNode.Host.Experiments;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Training.Trainers;

namespace RobustNode.Host.Runs;

/// <summary>Trainers as the library's objectives and options, with radii taken from input units to network units.</summary>
public static class Objectives
{
    /// <summary>The objective of a trainer; PGD examples are clipped to the evaluation's input box, if any.</summary>
    public static ITrainingObjective For(TrainerSettings trainer, InputScale scale, InputBox? box) => trainer.Kind switch
    {
        TrainerKind.Augmented => new AugmentedObjective(scale.Radius(trainer.Epsilon), trainer.Norm ?? AttackNorm.Infinity)
        {
            Weight = trainer.Weight is { } w ? scale.Radius(w) : null,
            WarmupEpochs = trainer.WarmupEpochs,
        },
        TrainerKind.Pgd => new AdversarialObjective(new Pgd(
            scale.Radius(trainer.Epsilon),
            trainer.Norm ?? AttackNorm.Infinity,
            trainer.Steps,
            scale.Radius(trainer.StepSize ?? 2.5 * trainer.Epsilon / trainer.Steps),
            trainer.RandomStart,
            Box: scale.Box(box)))
        {
            WarmupEpochs = trainer.WarmupEpochs,
        },
        _ => new StandardObjective(),
    };

    /// <summary>The training options of a trainer within an experiment.</summary>
    public static TrainingOptions Options(ExperimentSettings experiment, TrainerSettings trainer, InputScale scale) =>
        new(For(trainer, scale, experiment.Evaluation.Box), experiment.Training.Optimizer, experiment.Training.Epochs,
            experiment.Training.BatchSize, experiment.Training.Seed)
        {
            Schedule = experiment.Training.Schedule,
            Divergence = experiment.Training.Divergence ?? DivergenceRule.Default,
        };
}
