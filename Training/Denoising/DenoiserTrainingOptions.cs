using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Training.Optimization;

namespace RobustNode.Training.Denoising;

/// <summary>
/// How to train a denoiser: squared-error regression of clean patches from noisy ones, with the noise level of each
/// patch drawn from <see cref="NoiseLevels"/> (one level: a denoiser for that level; several: a blind one), the
/// optimizer and its schedule, epochs, mini-batch size and the run's seed, from which every shuffle and every batch's
/// noise are derived (<see cref="Seeds"/>).
/// </summary>
/// <param name="Optimizer">The optimizer configuration.</param>
/// <param name="NoiseLevels">Standard deviations σ of the training noise, in grey levels of [0, 1] (e.g. 25/255).</param>
/// <param name="Epochs">Total epochs (≥ 1).</param>
/// <param name="BatchSize">Mini-batch size (≥ 1).</param>
/// <param name="Seed">The run's seed.</param>
public sealed record DenoiserTrainingOptions(IOptimizer Optimizer, IReadOnlyList<double> NoiseLevels, int Epochs = 20, int BatchSize = 32, long Seed = 0)
{
    /// <summary>The learning-rate schedule (default constant).</summary>
    public ILearningRateSchedule Schedule { get; init; } = ConstantRate.Instance;

    /// <summary>The learning rate of an epoch.</summary>
    public double LearningRateAt(int epoch) => Optimizer.LearningRate * Schedule.Factor(epoch);

    /// <summary>Checks every setting, reporting every problem at once.</summary>
    public Fin<DenoiserTrainingOptions> Validate()
    {
        var errors = new List<Error>();
        if (Epochs < 1) errors.Add(TrainingErrors.InvalidConfiguration("training.epochs", $"must be at least 1, got {Epochs}"));
        if (BatchSize < 1) errors.Add(TrainingErrors.InvalidConfiguration("training.batchSize", $"must be at least 1, got {BatchSize}"));
        if (NoiseLevels.Count == 0) errors.Add(TrainingErrors.InvalidConfiguration("training.noiseLevels", "needs at least one noise level"));
        foreach (var s in NoiseLevels)
            if (!(s > 0) || !double.IsFinite(s)) errors.Add(TrainingErrors.InvalidConfiguration("training.noiseLevels", $"must be positive and finite, got {s}"));
        Optimizer.Validate().IfFail(e => errors.Add(e));
        Schedule.Validate().IfFail(e => errors.Add(e));
        return TrainingErrors.All(errors).Map(_ => this);
    }

    /// <summary>The settings that decide the run's trajectory (the number of epochs left out, so a run may be extended).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Describe() =>
    [
        new("training.objective", "pixel-mse"),
        new("training.noiseLevels", string.Join(",", NoiseLevels.Select(s => s.ToString("R", CultureInfo.InvariantCulture)))),
        new("training.optimizer", Optimizer.Describe()),
        new("training.schedule", Schedule.Describe()),
        new("training.batchSize", BatchSize.ToString(CultureInfo.InvariantCulture)),
        new("training.seed", Seed.ToString(CultureInfo.InvariantCulture)),
    ];
}
