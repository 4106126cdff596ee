using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Trainers;

/// <summary>
/// When training counts as diverged although the objective is still a number: a mini-batch objective that exceeds
/// <see cref="Growth"/> times the first objective of its epoch (taken as at least <see cref="Floor"/>, so a loss that
/// has fallen close to 0 may rise again without alarm), or that is NaN or infinite. SGD at a learning rate of 10⁶
/// takes the cross-entropy of a point cloud from about 0.7 to 10¹²³ within an epoch without ever reaching NaN; with
/// the default growth of 10⁶ that run stops at its second or third batch.
/// </summary>
/// <param name="Growth">How many times the epoch's first objective a batch may reach (&gt; 1); <see cref="double.PositiveInfinity"/> checks only for non-finite values.</param>
/// <param name="Floor">The smallest reference objective (&gt; 0).</param>
public sealed record DivergenceRule(double Growth = 1e6, double Floor = 1.0)
{
    /// <summary>The default rule: 10⁶ times the epoch's first objective, which counts as at least 1.</summary>
    public static DivergenceRule Default { get; } = new();

    /// <summary>Checks the rule's own values.</summary>
    public Fin<DivergenceRule> Validate() =>
        !(Growth > 1) || double.IsNaN(Growth)
            ? FinFail<DivergenceRule>(TrainingErrors.InvalidConfiguration("training.divergence.growth", $"must be above 1, got {Growth.ToString(CultureInfo.InvariantCulture)}"))
            : !(Floor > 0) || !double.IsFinite(Floor)
                ? FinFail<DivergenceRule>(TrainingErrors.InvalidConfiguration("training.divergence.floor", $"must be positive and finite, got {Floor.ToString(CultureInfo.InvariantCulture)}"))
                : FinSucc(this);

    /// <summary>
    /// Nothing, or the divergence error for a batch objective given the first objective of its epoch (the reference).
    /// </summary>
    /// <param name="name">The objective's name, for the message.</param>
    /// <param name="reference">The epoch's first batch objective.</param>
    /// <param name="objective">This batch's objective.</param>
    internal Option<Error> Check(string name, double reference, double objective)
    {
        if (!double.IsFinite(objective))
            return TrainingErrors.Diverged($"the {name} objective became {Format(objective)}; lower the learning rate or the penalty weight");
        double limit = Growth * Math.Max(Math.Abs(reference), Floor);
        return Math.Abs(objective) > limit
            ? TrainingErrors.Diverged(
                $"the {name} objective grew from {Format(reference)} at the epoch's first batch to {Format(objective)}, more than {Format(Growth)} times; lower the learning rate or the penalty weight")
            : None;
    }

    /// <summary>A loss for a message or a progress line: fixed point for ordinary values, scientific notation for large or tiny ones.</summary>
    internal static string Format(double value) =>
        !double.IsFinite(value) ? value.ToString(CultureInfo.InvariantCulture)
        : value != 0 && (Math.Abs(value) >= 1e5 || Math.Abs(value) < 1e-4) ? value.ToString("0.###e+0", CultureInfo.InvariantCulture)
        : value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>The rule as canonical text.</summary>
    public string Describe() => FormattableString.Invariant($"divergence(growth={Growth:R}, floor={Floor:R})");
}
