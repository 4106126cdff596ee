using RobustNode.Host.Runs;
using RobustNode.Host.Schemas;
using RobustNode.Training.Evaluation;

namespace RobustNode.Host.Reports;

/// <summary><c>report.json</c> of <c>train</c>: the <see cref="RunReport"/> as its schema, <see cref="ReportFile"/>.</summary>
internal static class ReportJson
{
    /// <summary>The report as indented UTF-8 JSON.</summary>
    public static byte[] Write(RunReport report) => JsonFiles.Write(File(report), JsonFiles.Default.ReportFile);

    /// <summary>The report as its schema record (times rounded: seconds per epoch to 10 µs, totals to 1 ms, ratios to 4 decimals).</summary>
    public static ReportFile File(RunReport report) => new(
        report.Run,
        report.Experiment,
        report.Finished,
        new ReportDataJson(report.TrainData, report.TrainCount, report.TestData, report.TestCount, report.Classes),
        new ReportModelJson(report.Model, report.Engine, report.Parameters),
        new ReportEvaluationJson(report.Norm, report.Epsilons, report.Attacks is { } a ? Attacks(a, report.TestCount) : null,
            report.Trainers.Any(t => t.Scores.Curves.Any(c => c.Attack == ModelEvaluation.WorstCaseName(report.Norm))) ? ModelEvaluation.WorstCaseName(report.Norm) : null,
            report.CoveringRadius),
        report.Trainers.Select(Trainer).ToArray(),
        new ReportTimingJson(
            Pairs(report.Trainers.Select(t => new KeyValuePair<string, double>(t.Name, Math.Round(t.MedianEpochSeconds, 5)))),
            Ratio(report, "augmented"),
            Ratio(report, "pgd"),
            Ratios(report, "standard"),
            Ratios(report, "pgd"),
            CpuSeconds(report),
            Ratios(report, "standard", cpu: true),
            Ratios(report, "pgd", cpu: true)),
        Pairs(report.Settings),
        Pairs(report.Configuration),
        report.Plots);

    /// <summary>Accuracy-versus-ε curves as the files hold them.</summary>
    public static IReadOnlyList<CurveJson> Curves(IReadOnlyList<AttackCurve> curves) =>
        curves.Select(c => new CurveJson(c.Attack, c.Points.Select(p => new CurvePointJson(p.Epsilon, p.Accuracy)).ToArray(), c.SubsetSize)).ToArray();

    /// <summary>The attacks as run, with the test samples each attacked when it took the first ones only.</summary>
    public static IReadOnlyList<AttackJson> Attacks(IReadOnlyList<AttackDescription> attacks, int testCount) =>
        attacks.Select(a => new AttackJson(a.Name, a.Settings, a.TestCount > 0 && a.TestCount < testCount ? a.TestCount : null)).ToArray();

    /// <summary>The sanity checks as the files hold them (null without checks).</summary>
    public static SanityJson? Sanity(SanityReport? sanity)
    {
        if (sanity is null) return null;
        var c = sanity.Covering;
        return new SanityJson(sanity.WorstCaseSamples, c?.Radius, c?.Samples, c?.Chance, c?.WorstCase,
            c is null ? null : Pairs(c.Attacks.Select(a => new KeyValuePair<string, double>(a.Attack, a.Accuracy))),
            sanity.Findings.Select(f => new SanityCheckJson(CheckName(f.Check), f.Passed, f.Message, f.Attack, f.Epsilon)).ToArray());
    }

    /// <summary>The name of a check in files: monotone, covering-radius, gradient-free-gap.</summary>
    public static string CheckName(SanityCheck check) => check switch
    {
        SanityCheck.Monotone => "monotone",
        SanityCheck.CoveringRadius => "covering-radius",
        _ => "gradient-free-gap",
    };

    private static TrainerJson Trainer(TrainerReport t) => new(
        t.Name,
        t.Objective,
        t.Epochs,
        t.ResumedFrom,
        new SecondsPerEpochJson(Math.Round(t.MedianEpochSeconds, 5), Math.Round(t.MeanEpochSeconds, 5),
            double.IsNaN(t.MedianEpochCpuSeconds) ? null : Math.Round(t.MedianEpochCpuSeconds, 5)),
        Math.Round(t.TotalSeconds, 3),
        t.Scores.CleanAccuracy,
        Curves(t.Scores.Curves),
        t.ModelFile,
        t.History.Select(EpochJson.From).ToArray(),
        t.Scores.Bound is { } bound ? LipschitzJson.From(bound) : null,
        Sanity(t.Scores.Sanity));

    private static double? Ratio(RunReport report, string trainer) => report.TimeRatio(trainer) is { } r ? Math.Round(r, 4) : null;

    /// <summary>Every trainer's median processor time per epoch, or null when no epoch recorded it.</summary>
    private static Dictionary<string, double>? CpuSeconds(RunReport report)
    {
        var pairs = Pairs(report.Trainers.Where(t => !double.IsNaN(t.MedianEpochCpuSeconds))
            .Select(t => new KeyValuePair<string, double>(t.Name, Math.Round(t.MedianEpochCpuSeconds, 5))));
        return pairs.Count > 0 ? pairs : null;
    }

    /// <summary>Every other trainer's median wall (or processor) time per epoch over the baseline's, or null when there is none.</summary>
    private static Dictionary<string, double>? Ratios(RunReport report, string baseline, bool cpu = false)
    {
        var ratios = report.Trainers.Where(t => t.Name != baseline)
            .Select(t => (t.Name, Ratio: cpu ? report.CpuTimeRatio(t.Name, baseline) : report.TimeRatio(t.Name, baseline)))
            .Where(x => x.Ratio is not null)
            .Select(x => new KeyValuePair<string, double>(x.Name, Math.Round(x.Ratio!.Value, 4)));
        var pairs = Pairs(ratios);
        return pairs.Count > 0 ? pairs : null;
    }

    /// <summary>Key–value pairs as an object in their order; a repeated key keeps its last value.</summary>
    private static Dictionary<string, T> Pairs<T>(IEnumerable<KeyValuePair<string, T>> pairs)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs) result[k] = v;
        return result;
    }
}
