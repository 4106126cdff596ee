using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Norms;
using RobustNode.Host.Composition;
using RobustNode.Host.Experiments;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Training.Data;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Runs;

/// <summary>Trainers as the library's objectives and options, with radii taken from input units to network units.</summary>
internal static class Objectives
{
    /// <summary>The objective of a trainer; perturbed inputs are clipped to the evaluation's input box, if any.</summary>
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
        TrainerKind.FgsmRs => new FgsmRsObjective(scale.Radius(trainer.Epsilon), Norm(trainer))
        {
            StepSize = Radius(scale, trainer.StepSize), WarmupEpochs = trainer.WarmupEpochs, Box = scale.Box(box),
        },
        TrainerKind.Trades => new TradesObjective(scale.Radius(trainer.Epsilon), Norm(trainer))
        {
            Weight = trainer.Weight ?? 6, Steps = trainer.Steps, StepSize = Radius(scale, trainer.StepSize),
            // The authors' start 0.001·N(0, 1) is in grey levels; here it is in input units, mapped like a radius.
            StartScale = scale.Radius(0.001), WarmupEpochs = trainer.WarmupEpochs, Box = scale.Box(box),
        },
        TrainerKind.GradAlign => new GradAlignObjective(scale.Radius(trainer.Epsilon), Norm(trainer))
        {
            Weight = trainer.Weight ?? 0.2, WarmupEpochs = trainer.WarmupEpochs, Box = scale.Box(box),
        },
        TrainerKind.Llr => new LlrObjective(scale.Radius(trainer.Epsilon), Norm(trainer))
        {
            LinearityWeight = trainer.Weight ?? 4, GradientWeight = trainer.GradientWeight ?? 3, Steps = trainer.Steps,
            StepSize = Radius(scale, trainer.StepSize), WarmupEpochs = trainer.WarmupEpochs, Box = scale.Box(box),
        },
        TrainerKind.AugmentedAdversarial => new AugmentedAdversarialObjective(scale.Radius(trainer.Epsilon), Norm(trainer))
        {
            Weight = Radius(scale, trainer.Weight), StepSize = Radius(scale, trainer.StepSize), WarmupEpochs = trainer.WarmupEpochs, Box = scale.Box(box),
        },
        TrainerKind.LipschitzMargin or TrainerKind.GloRo or TrainerKind.GloRoTrades => new LipschitzMarginObjective(scale.Radius(trainer.Epsilon))
        {
            WarmupEpochs = trainer.WarmupEpochs, WarmupShape = trainer.WarmupShape, Temperature = trainer.Temperature, BottomClass = trainer.Kind != TrainerKind.LipschitzMargin,
            TradesWeight = trainer.Kind == TrainerKind.GloRoTrades ? trainer.Weight : null,
        },
        _ => new StandardObjective(),
    };

    private static AttackNorm Norm(TrainerSettings trainer) => trainer.Norm ?? AttackNorm.Infinity;

    // Lengths in input units (radii, steps, and the augmented penalty's weight, which multiplies an input gradient) in network units.
    private static double? Radius(InputScale scale, double? value) => value is { } v ? scale.Radius(v) : null;

    /// <summary>The training options of a trainer within an experiment.</summary>
    public static TrainingOptions Options(ExperimentSettings experiment, TrainerSettings trainer, ExperimentData data) =>
        new(For(trainer, data.Scale, experiment.Evaluation.Box), experiment.Training.Optimizer, experiment.Training.Epochs,
            experiment.Training.BatchSize, experiment.Training.Seed)
        {
            Schedule = experiment.Training.Schedule,
            Divergence = experiment.Training.Divergence ?? DivergenceRule.Default,
            Shift = Shift(experiment.Training.RandomShift, data),
        };

    /// <summary>
    /// The experiment's random shift checked against its loaded images, before a run starts: an error naming the
    /// setting (<c>Experiments:mnist:Training:RandomShift: an offset of 30 pixels moves a 28×28 image out of its frame</c>).
    /// </summary>
    public static Validation<Error, Unit> CheckShift(ExperimentSettings experiment, ExperimentData data) =>
        Shift(experiment.Training.RandomShift, data)?.Problem() is { } problem
            ? Fail<Error, Unit>(HostErrors.Configuration($"{ExperimentValidation.Section}:{experiment.Name}:Training:RandomShift", problem))
            : Success<Error, Unit>(unit);

    // The images' own shape, whatever shape the network sees; uncovered pixels are black (grey level 0) in network units.
    private static RandomShift? Shift(int pixels, ExperimentData data) =>
        pixels > 0 && (data.FlattenedImage ?? data.Train.SampleShape) is [var c, var h, var w]
            ? new RandomShift(pixels, (int)c, (int)h, (int)w, (0 - data.Scale.Mean) / data.Scale.Std)
            : null;
}
