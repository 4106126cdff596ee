using LanguageExt;
using LanguageExt.Common;
using RobustNode.Training.Data;
using RobustNode.Training.Optimization;

namespace RobustNode.Training.Trainers;

/// <summary>
/// How to train: the objective (standard, augmented, adversarial), the optimizer and its learning-rate schedule, the
/// number of epochs, the mini-batch size, and the run's seed from which every epoch's shuffle and every batch's attack
/// randomness are derived (<see cref="Seeds"/>). The same options, model and data give bit-identical parameters.
/// </summary>
/// <param name="Objective">What each step minimises.</param>
/// <param name="Optimizer">The optimizer configuration.</param>
/// <param name="Epochs">Total number of epochs of the run (≥ 1).</param>
/// <param name="BatchSize">Mini-batch size (≥ 1); the last batch of an epoch may be smaller.</param>
/// <param name="Seed">The run's seed.</param>
public sealed record TrainingOptions(ITrainingObjective Objective, IOptimizer Optimizer, int Epochs = 50, int BatchSize = 64, long Seed = 0)
{
    /// <summary>When training counts as diverged (default: a batch objective 10⁶ times the epoch's first); not part of the trajectory.</summary>
    public DivergenceRule Divergence { get; init; } = DivergenceRule.Default;

    /// <summary>The learning-rate schedule (default constant).</summary>
    public ILearningRateSchedule Schedule { get; init; } = ConstantRate.Instance;

    /// <summary>
    /// Random translation of the training images, drawn afresh for every batch (none by default). The objective sees the
    /// moved images; evaluation never does.
    /// </summary>
    public RandomShift? Shift { get; init; }

    /// <summary>Whether the training images move (a shift of at least one pixel).</summary>
    public bool Shifts => Shift is { Pixels: > 0 };

    /// <summary>The learning rate of an epoch: η · schedule factor.</summary>
    public double LearningRateAt(int epoch) => Optimizer.LearningRate * Schedule.Factor(epoch);

    /// <summary>Checks every setting (objective, optimizer, schedule included), reporting every problem at once.</summary>
    public Fin<TrainingOptions> Validate()
    {
        var errors = new List<Error>();
        if (Epochs < 1) errors.Add(TrainingErrors.InvalidConfiguration("training.epochs", $"must be at least 1, got {Epochs}"));
        if (BatchSize < 1) errors.Add(TrainingErrors.InvalidConfiguration("training.batchSize", $"must be at least 1, got {BatchSize}"));
        Objective.Validate().IfFail(e => errors.Add(e));
        Optimizer.Validate().IfFail(e => errors.Add(e));
        Schedule.Validate().IfFail(e => errors.Add(e));
        Divergence.Validate().IfFail(e => errors.Add(e));
        Shift?.Validate().IfFail(e => errors.Add(e));
        return TrainingErrors.All(errors).Map(_ => this);
    }

    /// <summary>
    /// The settings that decide the trajectory of a run, as canonical key–value pairs (for configuration fingerprints).
    /// The number of epochs is left out: a run may be extended, as long as the schedule does not depend on it. A random
    /// shift appears only when images move, so that runs without one keep their fingerprints.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Describe() =>
    [
        new("training.objective", Objective.Describe()),
        new("training.optimizer", Optimizer.Describe()),
        new("training.schedule", Schedule.Describe()),
        new("training.batchSize", BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("training.seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        .. Shifts ? [new KeyValuePair<string, string>("training.randomShift", Shift!.Describe())] : Array.Empty<KeyValuePair<string, string>>(),
    ];
}
