using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Core.Norms;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Experiments;

/// <summary>
/// Reads <c>Experiments:&lt;name&gt;:Training</c>: <c>Optimizer</c> (<c>Name</c> sgd | adam, <c>LearningRate</c>,
/// sgd's <c>Momentum</c> and <c>Nesterov</c>, adam's <c>Beta1</c> and <c>Beta2</c>, <c>WeightDecay</c>), <c>Schedule</c>
/// (<c>Name</c> constant | step | cosine; step's <c>Every</c> and <c>Gamma</c>; cosine's <c>Epochs</c> (default: the
/// run's) and <c>MinimumFactor</c>), <c>Epochs</c>, <c>BatchSize</c>, <c>Seed</c>, and the trainers <c>Standard</c>
/// (<c>Enabled</c>), <c>Augmented</c> (<c>Enabled</c>, <c>Norm</c>, <c>Epsilon</c>, <c>Weight</c>, <c>WarmupEpochs</c>)
/// and <c>Pgd</c> (<c>Enabled</c>, <c>Norm</c>, <c>Epsilon</c>, <c>Steps</c>, <c>StepSize</c>, <c>RandomStart</c>, <c>WarmupEpochs</c>),
/// the robust trainers of <see cref="RobustTrainerSettingsReader"/> (off unless enabled), and <c>RandomShift</c> (pixels; images only).
/// </summary>
internal static class TrainingSettingsReader
{
    private static readonly Dictionary<string, string> Optimizers = new(StringComparer.OrdinalIgnoreCase) { ["sgd"] = "sgd", ["adam"] = "adam" };
    private static readonly Dictionary<string, string> Schedules = new(StringComparer.OrdinalIgnoreCase)
    {
        ["constant"] = "constant", ["step"] = "step", ["cosine"] = "cosine",
    };

    /// <summary>Most epochs of a run.</summary>
    public const int MaxEpochs = 1_000_000;

    /// <summary>Largest attack radius or PGD step (in input units).</summary>
    public const double MaxRadius = 1e6;

    /// <summary>Most PGD steps per attack.</summary>
    public const int MaxAttackSteps = 100_000;

    /// <summary>Attack norms by name: inf, 2, 1.</summary>
    public static readonly IReadOnlyDictionary<string, AttackNorm> Norms = new Dictionary<string, AttackNorm>(StringComparer.OrdinalIgnoreCase)
    {
        ["inf"] = AttackNorm.Infinity, ["2"] = AttackNorm.Two, ["1"] = AttackNorm.One,
    };

    /// <summary>The training settings (defaults: adam 0.01, constant rate, 30 epochs, batches of 32, seed 4, all three trainers with ε = 0.1 in ℓ∞).</summary>
    public static Validation<Error, TrainingSettings> Read(IConfigurationSection training, DataKind? data)
    {
        var keys = SettingReaders.KnownKeys(training,
            ["Optimizer", "Schedule", "Epochs", "BatchSize", "Seed", "Standard", "Augmented", "Pgd", .. RobustTrainerSettingsReader.Sections, "Divergence", "RandomShift"]);
        var epochs = SettingReaders.Integer(training, "Epochs", 30, 1, MaxEpochs);
        var schedule = Schedule(training.GetSection("Schedule"), epochs.Match(Succ: e => e, Fail: _ => 1));
        var trainers = (Standard(training.GetSection("Standard")), Augmented(training.GetSection("Augmented")), Pgd(training.GetSection("Pgd")),
                RobustTrainerSettingsReader.Read(training))
            .Apply((s, a, p, robust) => new[] { s, a, p }.Concat(robust).Somes().ToArray())
            .Bind(list => list.Length > 0
                ? Success<Error, IReadOnlyList<TrainerSettings>>(list)
                : Fail<Error, IReadOnlyList<TrainerSettings>>(HostErrors.Configuration(training.Path,
                    $"no trainer is enabled; enable Standard, Augmented, Pgd or one of {string.Join(", ", RobustTrainerSettingsReader.Sections)}")));
        return (keys, Optimizer(training.GetSection("Optimizer")), schedule, epochs,
                SettingReaders.Integer(training, "BatchSize", 32, 1, 10_000_000),
                SettingReaders.Long(training, "Seed", 4),
                trainers, Divergence(training.GetSection("Divergence")), RandomShift(training, data))
            .Apply((_, optimizer, s, e, batch, seed, t, d, shift) => new TrainingSettings(optimizer, s, e, batch, seed, t, d, shift));
    }

    /// <summary><c>RandomShift</c>: the largest random translation of the training images in pixels (default 0: none); images only (not checked when the data's kind is unreadable, which is reported already).</summary>
    private static Validation<Error, int> RandomShift(IConfigurationSection training, DataKind? data) =>
        SettingReaders.Integer(training, "RandomShift", 0, 0, MaxShift).Bind(pixels => pixels == 0 || data is null or DataKind.Images
            ? Success<Error, int>(pixels)
            : Fail<Error, int>(HostErrors.Configuration($"{training.Path}:RandomShift", $"moves images, but the data are point clouds; got {pixels}")));

    /// <summary>Largest random shift of training images, in pixels.</summary>
    public const int MaxShift = 1000;

    /// <summary><c>Divergence</c>: <c>Growth</c> (a batch objective may reach this many times its epoch's first; default 10⁶) and <c>Floor</c> (default 1).</summary>
    private static Validation<Error, DivergenceRule> Divergence(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Growth", "Floor"),
                SettingReaders.Number(section, "Growth", DivergenceRule.Default.Growth, 1, 1e300, exclusiveMin: true),
                SettingReaders.Number(section, "Floor", DivergenceRule.Default.Floor, 0, 1e300, exclusiveMin: true))
            .Apply((_, growth, floor) => new DivergenceRule(growth, floor));

    /// <summary>An <c>Optimizer</c> section (shared with the denoisers' training settings).</summary>
    internal static Validation<Error, IOptimizer> Optimizer(IConfigurationSection section)
    {
        var keys = SettingReaders.KnownKeys(section, "Name", "LearningRate", "Momentum", "Nesterov", "Beta1", "Beta2", "WeightDecay");
        var name = SettingReaders.Choice(section, "Name", "adam", Optimizers);
        var rate = SettingReaders.Number(section, "LearningRate", 0.01, 0, 1e12, exclusiveMin: true);
        var decay = SettingReaders.Number(section, "WeightDecay", 0, 0, 1e6);
        var optimizer = name.Bind(n =>
        {
            var foreign = (n == "sgd" ? new[] { "Beta1", "Beta2" } : ["Momentum", "Nesterov"])
                .Where(k => section[k] is not null)
                .Select(k => HostErrors.Configuration($"{section.Path}:{k}", $"does not apply to {n}"))
                .ToList();
            if (foreign.Count > 0) return Fail<Error, IOptimizer>(Seq(foreign));
            return n == "sgd"
                ? (rate, decay, SettingReaders.Number(section, "Momentum", 0, 0, 1, exclusiveMax: true), SettingReaders.Flag(section, "Nesterov", false))
                    .Apply((r, wd, m, nesterov) => (r, wd, m, nesterov))
                    .Bind(x => x.nesterov && x.m == 0
                        ? Fail<Error, IOptimizer>(HostErrors.Configuration($"{section.Path}:Nesterov", "needs a Momentum above 0"))
                        : Success<Error, IOptimizer>(new Sgd(x.r, x.m, x.nesterov, x.wd)))
                : (rate, decay, SettingReaders.Number(section, "Beta1", 0.9, 0, 1, exclusiveMax: true), SettingReaders.Number(section, "Beta2", 0.999, 0, 1, exclusiveMax: true))
                    .Apply((r, wd, b1, b2) => (IOptimizer)new Adam(r, b1, b2, WeightDecay: wd));
        });
        return (keys, optimizer).Apply((_, o) => o);
    }

    /// <summary>A <c>Schedule</c> section for a run of <paramref name="epochs"/> epochs (shared with the denoisers' training settings).</summary>
    internal static Validation<Error, ILearningRateSchedule> Schedule(IConfigurationSection section, int epochs)
    {
        var keys = SettingReaders.KnownKeys(section, "Name", "Every", "Gamma", "Epochs", "MinimumFactor");
        var schedule = SettingReaders.Choice(section, "Name", "constant", Schedules).Bind(name =>
        {
            string[] own = name switch { "step" => ["Every", "Gamma"], "cosine" => ["Epochs", "MinimumFactor"], _ => [] };
            var foreign = new[] { "Every", "Gamma", "Epochs", "MinimumFactor" }.Except(own)
                .Where(k => section[k] is not null)
                .Select(k => HostErrors.Configuration($"{section.Path}:{k}", $"does not apply to the {name} schedule"))
                .ToList();
            if (foreign.Count > 0) return Fail<Error, ILearningRateSchedule>(Seq(foreign));
            return name switch
            {
                "step" => (SettingReaders.Integer(section, "Every", Math.Max(1, epochs / 3), 1, MaxEpochs), SettingReaders.Number(section, "Gamma", 0.1, 0, 1, exclusiveMin: true))
                    .Apply((every, gamma) => (ILearningRateSchedule)new StepDecay(every, gamma)),
                "cosine" => (SettingReaders.Integer(section, "Epochs", epochs, 1, MaxEpochs), SettingReaders.Number(section, "MinimumFactor", 0, 0, 1))
                    .Apply((e, f) => (ILearningRateSchedule)new CosineDecay(e, f)),
                _ => Success<Error, ILearningRateSchedule>(ConstantRate.Instance),
            };
        });
        return (keys, schedule).Apply((_, s) => s);
    }

    private static Validation<Error, Option<TrainerSettings>> Standard(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Enabled"), SettingReaders.Flag(section, "Enabled", true))
            .Apply((_, enabled) => enabled ? Some(new TrainerSettings("standard", TrainerKind.Standard)) : None);

    private static Validation<Error, Option<TrainerSettings>> Augmented(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Norm", "Epsilon", "Weight", "WarmupEpochs"),
                SettingReaders.Flag(section, "Enabled", true),
                SettingReaders.Choice(section, "Norm", AttackNorm.Infinity, Norms),
                SettingReaders.Number(section, "Epsilon", 0.1, 0, MaxRadius),
                SettingReaders.OptionalNumber(section, "Weight", 0, 1e6),
                SettingReaders.Integer(section, "WarmupEpochs", 0, 0, MaxEpochs))
            .Apply((_, enabled, norm, epsilon, weight, warmup) => enabled
                ? Some(new TrainerSettings("augmented", TrainerKind.Augmented, epsilon, norm, weight.MatchUnsafe(w => (double?)w, () => null), warmup))
                : None);

    private static Validation<Error, Option<TrainerSettings>> Pgd(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Norm", "Epsilon", "Steps", "StepSize", "RandomStart", "WarmupEpochs"),
                SettingReaders.Flag(section, "Enabled", true),
                SettingReaders.Choice(section, "Norm", AttackNorm.Infinity, Norms),
                SettingReaders.Number(section, "Epsilon", 0.1, 0, MaxRadius, exclusiveMin: true),
                SettingReaders.Integer(section, "Steps", 7, 1, MaxAttackSteps),
                SettingReaders.OptionalNumber(section, "StepSize", 0, MaxRadius, exclusiveMin: true),
                SettingReaders.Flag(section, "RandomStart", true),
                SettingReaders.Integer(section, "WarmupEpochs", 0, 0, MaxEpochs))
            .Apply((_, enabled, norm, epsilon, steps, stepSize, randomStart, warmup) => enabled
                ? Some(new TrainerSettings("pgd", TrainerKind.Pgd, epsilon, norm, WarmupEpochs: warmup, Steps: steps,
                    StepSize: stepSize.MatchUnsafe(s => (double?)s, () => null), RandomStart: randomStart))
                : None);
}
