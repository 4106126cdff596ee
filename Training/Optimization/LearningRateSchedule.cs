using LanguageExt;
using LanguageExt.Common;

namespace RobustNode.Training.Optimization;

/// <summary>
/// A learning-rate schedule: the factor by which the optimizer's base rate is scaled in a given epoch (0-based).
/// Schedules depend on the epoch only, so a resumed run uses the same rates as an uninterrupted one.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The factor for epoch e (η_e = η · factor).</summary>
    double Factor(int epoch);

    /// <summary>Checks the settings.</summary>
    Fin<ILearningRateSchedule> Validate();

    /// <summary>A canonical description (for configuration fingerprints).</summary>
    string Describe();
}

/// <summary>The constant schedule: factor 1 in every epoch.</summary>
public sealed record ConstantRate : ILearningRateSchedule
{
    /// <summary>The one instance.</summary>
    public static ConstantRate Instance { get; } = new();

    /// <inheritdoc/>
    public double Factor(int epoch) => 1.0;
    /// <inheritdoc/>
    public Fin<ILearningRateSchedule> Validate() => this;
    /// <inheritdoc/>
    public string Describe() => "constant";
}

/// <summary>Step decay: the rate is multiplied by <paramref name="Gamma"/> every <paramref name="Every"/> epochs (factor γ^⌊e/k⌋).</summary>
/// <param name="Every">Epochs between decays k ≥ 1.</param>
/// <param name="Gamma">Decay factor γ in (0, 1].</param>
public sealed record StepDecay(int Every, double Gamma = 0.1) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double Factor(int epoch) => Math.Pow(Gamma, epoch / Every);

    /// <inheritdoc/>
    public Fin<ILearningRateSchedule> Validate() => TrainingErrors.All(Problems()).Map(_ => (ILearningRateSchedule)this);

    private IEnumerable<Error> Problems()
    {
        if (Every < 1) yield return TrainingErrors.InvalidConfiguration("schedule.every", $"must be at least 1, got {Every}");
        if (!(Gamma > 0 && Gamma <= 1)) yield return TrainingErrors.InvalidConfiguration("schedule.gamma", $"must lie in (0, 1], got {Gamma}");
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant($"step(every={Every}, gamma={Gamma:R})");
}

/// <summary>
/// Cosine annealing over a horizon of E epochs (Loshchilov &amp; Hutter 2017, without restarts):
/// factor = f_min + (1 − f_min)(1 + cos(π e / E))/2 for e &lt; E, f_min afterwards.
/// </summary>
/// <param name="Epochs">The horizon E ≥ 1 (usually the run's number of epochs).</param>
/// <param name="MinimumFactor">The final factor f_min in [0, 1].</param>
public sealed record CosineDecay(int Epochs, double MinimumFactor = 0) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double Factor(int epoch) => epoch >= Epochs
        ? MinimumFactor
        : MinimumFactor + (1 - MinimumFactor) * 0.5 * (1 + Math.Cos(Math.PI * epoch / Epochs));

    /// <inheritdoc/>
    public Fin<ILearningRateSchedule> Validate() => TrainingErrors.All(Problems()).Map(_ => (ILearningRateSchedule)this);

    private IEnumerable<Error> Problems()
    {
        if (Epochs < 1) yield return TrainingErrors.InvalidConfiguration("schedule.epochs", $"must be at least 1, got {Epochs}");
        if (!(MinimumFactor >= 0 && MinimumFactor <= 1)) yield return TrainingErrors.InvalidConfiguration("schedule.minimumFactor", $"must lie in [0, 1], got {MinimumFactor}");
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant($"cosine(epochs={Epochs}, minimumFactor={MinimumFactor:R})");
}
