using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Core.Norms;
using RobustNode.Host.Configuration;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Experiments;

/// <summary>
/// Reads the robust trainers beside the augmented and PGD ones, each a section of <c>Experiments:&lt;name&gt;:Training</c>
/// with <c>Enabled</c> (default false), <c>Norm</c>, <c>Epsilon</c>, its weights, steps and <c>WarmupEpochs</c>:
/// <c>FgsmRs</c> (<c>StepSize</c>), <c>Trades</c> (<c>Weight</c> β, <c>Steps</c>, <c>StepSize</c>), <c>GradAlign</c>
/// (<c>Weight</c> λ), <c>Llr</c> (<c>LinearityWeight</c> λ, <c>GradientWeight</c> μ, <c>Steps</c>, <c>StepSize</c>) and
/// <c>AugmentedAdversarial</c> (<c>Weight</c> w, <c>StepSize</c>), <c>LipschitzMargin</c> (<c>Epsilon</c> in ℓ2, no
/// other norm: the margin is an ℓ2 certificate's; <c>Temperature</c> τ &gt; 0 of its cross-entropy, default 1;
/// <c>WarmupShape</c> <c>linear</c> (default) or GloRo's <c>logarithmic</c> radius schedule) and
/// <c>GloRo</c> (the same keys; the margin enters as GloRo's bottom class) and <c>GloRoTrades</c> (the same keys and
/// <c>Weight</c> λ of its divergence, default 1.5 as in GloRo's MNIST recipe). Radii and steps are in input units.
/// </summary>
internal static class RobustTrainerSettingsReader
{
    /// <summary>The sections, in the order their trainers run.</summary>
    public static readonly string[] Sections = ["FgsmRs", "Trades", "GradAlign", "Llr", "AugmentedAdversarial", "LipschitzMargin", "GloRo", "GloRoTrades"];

    private const double MaxWeight = 1e6;
    private const double MaxRadius = TrainingSettingsReader.MaxRadius;

    // Largest temperature of a cross-entropy: far above any that keeps its softmax from saturating in float32.
    private const double MaxTemperature = 1e6;

    private static readonly Dictionary<string, WarmupShape> WarmupShapes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["linear"] = WarmupShape.Linear, ["logarithmic"] = WarmupShape.Logarithmic,
    };

    /// <summary>Every enabled robust trainer of the training section, in the order of <see cref="Sections"/>.</summary>
    public static Validation<Error, Option<TrainerSettings>[]> Read(IConfigurationSection training) =>
        (FgsmRs(training.GetSection("FgsmRs")), Trades(training.GetSection("Trades")), GradAlign(training.GetSection("GradAlign")),
                Llr(training.GetSection("Llr")), AugmentedAdversarial(training.GetSection("AugmentedAdversarial")),
                Margin(training.GetSection("LipschitzMargin"), "lipschitz-margin", TrainerKind.LipschitzMargin),
                Margin(training.GetSection("GloRo"), "gloro", TrainerKind.GloRo),
                Margin(training.GetSection("GloRoTrades"), "gloro-trades", TrainerKind.GloRoTrades))
            .Apply((f, t, g, l, a, m, b, bt) => new[] { f, t, g, l, a, m, b, bt });

    private static Validation<Error, bool> Enabled(IConfigurationSection section) => SettingReaders.Flag(section, "Enabled", false);

    private static Validation<Error, AttackNorm> Norm(IConfigurationSection section) =>
        SettingReaders.Choice(section, "Norm", AttackNorm.Infinity, TrainingSettingsReader.Norms);

    private static Validation<Error, double> Epsilon(IConfigurationSection section) =>
        SettingReaders.Number(section, "Epsilon", 0.1, 0, MaxRadius, exclusiveMin: true);

    private static Validation<Error, Option<double>> StepSize(IConfigurationSection section) =>
        SettingReaders.OptionalNumber(section, "StepSize", 0, MaxRadius, exclusiveMin: true);

    // Validation values may not be null, so optional numbers travel as Option until the settings are built.
    private static double? Nullable(Option<double> value) => value.MatchUnsafe(v => (double?)v, () => null);

    private static Validation<Error, double> Weight(IConfigurationSection section, string name, double fallback) =>
        SettingReaders.Number(section, name, fallback, 0, MaxWeight);

    private static Validation<Error, int> Steps(IConfigurationSection section, int fallback) => SettingReaders.Integer(section, "Steps", fallback, 1, TrainingSettingsReader.MaxAttackSteps);

    private static Validation<Error, int> Warmup(IConfigurationSection section) => SettingReaders.Integer(section, "WarmupEpochs", 0, 0, TrainingSettingsReader.MaxEpochs);

    private static Validation<Error, Option<TrainerSettings>> FgsmRs(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Norm", "Epsilon", "StepSize", "WarmupEpochs"),
                Enabled(section), Norm(section), Epsilon(section), StepSize(section), Warmup(section))
            .Apply((_, enabled, norm, epsilon, step, warmup) => enabled
                ? Some(new TrainerSettings("fgsm-rs", TrainerKind.FgsmRs, epsilon, norm, WarmupEpochs: warmup, StepSize: Nullable(step)))
                : None);

    private static Validation<Error, Option<TrainerSettings>> Trades(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Norm", "Epsilon", "Weight", "Steps", "StepSize", "WarmupEpochs"),
                Enabled(section), Norm(section), Epsilon(section), Weight(section, "Weight", 6), Steps(section, 10), StepSize(section), Warmup(section))
            .Apply((_, enabled, norm, epsilon, beta, steps, step, warmup) => enabled
                ? Some(new TrainerSettings("trades", TrainerKind.Trades, epsilon, norm, beta, warmup, steps, Nullable(step)))
                : None);

    private static Validation<Error, Option<TrainerSettings>> GradAlign(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Norm", "Epsilon", "Weight", "WarmupEpochs"),
                Enabled(section), Norm(section), Epsilon(section), Weight(section, "Weight", 0.2), Warmup(section))
            .Apply((_, enabled, norm, epsilon, lambda, warmup) => enabled
                ? Some(new TrainerSettings("gradalign", TrainerKind.GradAlign, epsilon, norm, lambda, warmup))
                : None);

    private static Validation<Error, Option<TrainerSettings>> Llr(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Norm", "Epsilon", "LinearityWeight", "GradientWeight", "Steps", "StepSize", "WarmupEpochs"),
                Enabled(section), Norm(section), Epsilon(section), Weight(section, "LinearityWeight", 4), Weight(section, "GradientWeight", 3),
                Steps(section, 2), StepSize(section), Warmup(section))
            .Apply((_, enabled, norm, epsilon, lambda, mu, steps, step, warmup) => enabled
                ? Some(new TrainerSettings("llr", TrainerKind.Llr, epsilon, norm, lambda, warmup, steps, Nullable(step), GradientWeight: mu))
                : None);

    private static Validation<Error, Option<TrainerSettings>> AugmentedAdversarial(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Norm", "Epsilon", "Weight", "StepSize", "WarmupEpochs"),
                Enabled(section), Norm(section), Epsilon(section),
                SettingReaders.OptionalNumber(section, "Weight", 0, MaxWeight),
                StepSize(section), Warmup(section))
            .Apply((_, enabled, norm, epsilon, weight, step, warmup) => enabled
                ? Some(new TrainerSettings("augmented-adversarial", TrainerKind.AugmentedAdversarial, epsilon, norm, Nullable(weight), warmup, StepSize: Nullable(step)))
                : None);

    // The margin trainers' keys; GloRo's TRADES loss adds the weight of its divergence.
    private static Validation<Error, Option<TrainerSettings>> Margin(IConfigurationSection section, string name, TrainerKind kind)
    {
        bool trades = kind == TrainerKind.GloRoTrades;
        string[] keys = ["Enabled", "Epsilon", "WarmupEpochs", "WarmupShape", "Temperature", .. trades ? ["Weight"] : System.Array.Empty<string>()];
        return (SettingReaders.KnownKeys(section, keys),
                Enabled(section), SettingReaders.Number(section, "Epsilon", 1.58, 0, MaxRadius, exclusiveMin: true), Warmup(section),
                SettingReaders.Choice(section, "WarmupShape", WarmupShape.Linear, WarmupShapes),
                SettingReaders.Number(section, "Temperature", 1.0, 0, MaxTemperature, exclusiveMin: true), Weight(section, "Weight", 1.5))
            .Apply((_, enabled, epsilon, warmup, shape, temperature, weight) => enabled
                ? Some(new TrainerSettings(name, kind, epsilon, AttackNorm.Two, trades ? weight : null, warmup, Temperature: temperature, WarmupShape: shape))
                : None);
    }
}
