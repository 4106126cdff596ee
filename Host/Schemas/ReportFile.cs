using System.Text.Json.Serialization;

namespace RobustNode.Host.Schemas;

/// <summary>
/// <c>report.json</c> of <c>train</c>: <c>run</c>, <c>experiment</c>, <c>finished</c>, <c>data</c>, <c>model</c>
/// (description, engine, parameters),
/// <c>evaluation</c> (norm, epsilons), <c>trainers</c>, <c>timing</c> (medianSecondsPerEpoch per trainer,
/// <c>augmentedOverStandard</c>, <c>pgdOverStandard</c>, <c>overStandard</c>, <c>overPgd</c>), <c>settings</c> (every resolved setting),
/// <c>configuration</c> (the experiment's section as given) and <c>plots</c>.
/// </summary>
internal sealed record ReportFile(
    string Run,
    string Experiment,
    DateTimeOffset Finished,
    ReportDataJson Data,
    ReportModelJson Model,
    ReportEvaluationJson Evaluation,
    IReadOnlyList<TrainerJson> Trainers,
    ReportTimingJson Timing,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyDictionary<string, string> Configuration,
    IReadOnlyList<string> Plots);

/// <summary>The data of a run: <c>{ "train", "trainCount", "test", "testCount", "classes" }</c>.</summary>
internal sealed record ReportDataJson(string Train, int TrainCount, string Test, int TestCount, int Classes);

/// <summary>The network: <c>{ "description", "engine", "parameters" }</c>.</summary>
internal sealed record ReportModelJson(string Description, string Engine, long Parameters);

/// <summary>
/// How the models were attacked: <c>{ "norm", "epsilons", "attacks": [{ "name", "settings", "testSamples"? }],
/// "worstCase"?: curve name, "coveringRadius"? }</c>.
/// </summary>
internal sealed record ReportEvaluationJson(
    string Norm,
    IReadOnlyList<double> Epsilons,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<AttackJson>? Attacks = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? WorstCase = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? CoveringRadius = null);

/// <summary>
/// One trainer of a run: <c>{ "name", "objective", "epochs", "resumedFrom", "secondsPerEpoch": { "median", "mean" },
/// "totalSeconds", "cleanAccuracy", "robustness": [curves], "model", "history": [epochs], "lipschitz"?, "sanity"? }</c> —
/// the curves include <c>worst-case-&lt;norm&gt;</c>, robust accuracy: the worst case per sample over the attacks;
/// "lipschitz" is the ℓ2 Lipschitz bound behind the certified curve, when the model has one.
/// </summary>
internal sealed record TrainerJson(
    string Name,
    string Objective,
    int Epochs,
    int ResumedFrom,
    SecondsPerEpochJson SecondsPerEpoch,
    double TotalSeconds,
    double CleanAccuracy,
    IReadOnlyList<CurveJson> Robustness,
    string Model,
    IReadOnlyList<EpochJson> History,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LipschitzJson? Lipschitz = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SanityJson? Sanity = null);

/// <summary>Wall time per epoch of the recorded epochs, in seconds, and the median processor time (<c>cpuMedian</c>, absent when not recorded).</summary>
internal sealed record SecondsPerEpochJson(double Median, double Mean,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? CpuMedian = null);

/// <summary>
/// Time per epoch of every trainer (<c>medianSecondsPerEpoch</c>), the ratios of the augmented and PGD trainers' medians
/// to the standard trainer's (absent without both), and for every other trainer its median over the standard trainer's
/// (<c>overStandard</c>) and over the PGD trainer's (<c>overPgd</c>: the robust trainers' time against PGD training's;
/// each absent without its baseline); the same from processor time (<c>medianCpuSecondsPerEpoch</c>, <c>cpuOverStandard</c>,
/// <c>cpuOverPgd</c>), which a shared machine disturbs less than wall time.
/// </summary>
internal sealed record ReportTimingJson(
    IReadOnlyDictionary<string, double> MedianSecondsPerEpoch,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? AugmentedOverStandard = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? PgdOverStandard = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? OverStandard = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? OverPgd = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? MedianCpuSecondsPerEpoch = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? CpuOverStandard = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? CpuOverPgd = null);
