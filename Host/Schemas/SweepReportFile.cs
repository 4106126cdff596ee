using System.Text.Json.Serialization;

namespace RobustNode.Host.Schemas;

/// <summary>
/// <c>report.json</c> of <c>sweep</c>: the experiment run once per seed (and per grid point), summarised over the
/// seeds. <c>run</c>, <c>experiment</c>, <c>finished</c>, <c>seeds</c>, <c>seedSettings</c> (the keys a seed sets),
/// <c>grid</c>, <c>norm</c>, <c>epsilons</c>, <c>interval</c> (how the intervals are computed), <c>points</c> (one
/// per grid point, a single one without a grid), <c>pareto</c>, <c>configuration</c> (the experiment's section as
/// the sweep was given it) and <c>plots</c>.
/// </summary>
internal sealed record SweepReportFile(
    string Run,
    string Experiment,
    DateTimeOffset Finished,
    IReadOnlyList<long> Seeds,
    IReadOnlyList<string> SeedSettings,
    IReadOnlyList<GridAxisJson> Grid,
    string Norm,
    IReadOnlyList<double> Epsilons,
    string Interval,
    IReadOnlyList<SweepPointJson> Points,
    ParetoJson Pareto,
    IReadOnlyDictionary<string, string> Configuration,
    IReadOnlyList<string> Plots);

/// <summary>One setting of the grid and its values: <c>{ "key", "values" }</c> (the key relative to the experiment).</summary>
internal sealed record GridAxisJson(string Key, IReadOnlyList<string> Values);

/// <summary>
/// One grid point: <c>{ "name", "settings" (its grid values), "runs": [{ "seed", "folder" }], "trainers" }</c>.
/// </summary>
internal sealed record SweepPointJson(string Name, IReadOnlyDictionary<string, string> Settings, IReadOnlyList<SweepRunJson> Runs, IReadOnlyList<SweepTrainerJson> Trainers);

/// <summary>One seed's run: its seed and its run folder, relative to the sweep's folder.</summary>
internal sealed record SweepRunJson(long Seed, string Folder);

/// <summary>
/// One trainer over the seeds: <c>{ "name", "objective", "seeds", "epochs", "secondsPerEpoch", "cleanAccuracy",
/// "robustness": [curves with mean, std, ci95Low, ci95High per point], "robustAccuracy" }</c>. Seconds per epoch are
/// each seed's median.
/// </summary>
internal sealed record SweepTrainerJson(
    string Name,
    string Objective,
    int Seeds,
    int Epochs,
    StatisticJson SecondsPerEpoch,
    StatisticJson CleanAccuracy,
    IReadOnlyList<CurveJson> Robustness,
    RobustAccuracyJson RobustAccuracy);

/// <summary>
/// A quantity over seeds: <c>{ "mean", "std", "ci95Low", "ci95High", "values" }</c> — the sample standard deviation
/// (n − 1) and the 95 % Student t interval of the mean (null for a single seed), and the value of every seed in the
/// order of <c>seeds</c>.
/// </summary>
internal sealed record StatisticJson(double Mean, double Std, double Ci95Low, double Ci95High, IReadOnlyList<double> Values);

/// <summary>
/// Robust accuracy versus ε: the curve <c>worst-case-&lt;norm&gt;</c> when the runs have it, otherwise at each ε the
/// attack with the lowest mean accuracy (the later of equal ones). <c>{ "attack" (the curve, or the attacks chosen), "points": [{ "epsilon",
/// "attack", "accuracy", "mean", "std", "ci95Low", "ci95High" }] }</c>.
/// </summary>
internal sealed record RobustAccuracyJson(string Attack, IReadOnlyList<RobustPointJson> Points);

/// <summary>Robust accuracy at one radius, with the attack it comes from.</summary>
internal sealed record RobustPointJson(double Epsilon, string Attack, double Accuracy, double Mean, double Std, double Ci95Low, double Ci95High);

/// <summary>
/// The Pareto plot's data: at one radius (<c>epsilon</c>: the evaluated radius nearest Evaluation:AttackEpsilon),
/// robust accuracy versus training seconds per epoch, one point per trainer and grid point.
/// </summary>
internal sealed record ParetoJson(double Epsilon, IReadOnlyList<ParetoPointJson> Points);

/// <summary>One trainer of one grid point in the Pareto plot.</summary>
internal sealed record ParetoPointJson(
    string Point,
    string Trainer,
    string Attack,
    StatisticJson SecondsPerEpoch,
    StatisticJson RobustAccuracy)
{
    /// <summary>The label of the point in plots and tables: the trainer, with its grid point when there is a grid.</summary>
    [JsonIgnore]
    public string Label => Point.Length == 0 ? Trainer : $"{Trainer} ({Point})";
}
