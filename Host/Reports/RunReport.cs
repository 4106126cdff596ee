using RobustNode.Host.Runs;
using RobustNode.Training.Trainers;

namespace RobustNode.Host.Reports;

/// <summary>One trainer's part of a run report: how it was trained, how long it took, and how its model scored.</summary>
/// <param name="Name">Trainer name (standard, augmented, pgd).</param>
/// <param name="Objective">The objective's canonical description.</param>
/// <param name="Epochs">Epochs the model was trained for.</param>
/// <param name="ResumedFrom">Epochs done before this process (0 when trained in one go).</param>
/// <param name="History">Metrics of every recorded epoch.</param>
/// <param name="Scores">Clean and attacked test accuracy.</param>
/// <param name="ModelFile">The final model, relative to the run folder.</param>
internal sealed record TrainerReport(string Name, string Objective, int Epochs, int ResumedFrom, IReadOnlyList<EpochMetrics> History, ModelScores Scores, string ModelFile)
{
    /// <summary>Median wall time of the recorded epochs, in seconds (robust to the first epoch's warm-up).</summary>
    public double MedianEpochSeconds => Median(History.Select(m => m.WallTime.TotalSeconds));

    /// <summary>Median processor time of the epochs that recorded it, in seconds (NaN when none did).</summary>
    public double MedianEpochCpuSeconds => Median(History.Where(m => m.CpuTime > TimeSpan.Zero).Select(m => m.CpuTime.TotalSeconds));

    private static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) return double.NaN;
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Mean wall time of the recorded epochs, in seconds.</summary>
    public double MeanEpochSeconds => History.Count == 0 ? double.NaN : History.Average(m => m.WallTime.TotalSeconds);

    /// <summary>Total wall time of the recorded epochs, in seconds.</summary>
    public double TotalSeconds => History.Sum(m => m.WallTime.TotalSeconds);
}

/// <summary>
/// Everything <c>robustnode train</c> reports about a run: what ran (experiment, data, model, every setting used) and
/// what came out (per trainer: training curves, times, clean and attacked accuracy), and the plots written.
/// </summary>
internal sealed record RunReport(
    string Run,
    string Experiment,
    DateTimeOffset Finished,
    string TrainData,
    int TrainCount,
    string TestData,
    int TestCount,
    int Classes,
    string Model,
    string Engine,
    long Parameters,
    string Norm,
    IReadOnlyList<double> Epsilons,
    IReadOnlyList<TrainerReport> Trainers,
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    IReadOnlyList<KeyValuePair<string, string>> Configuration,
    IReadOnlyList<string> Plots,
    IReadOnlyList<AttackDescription>? Attacks = null,
    double? CoveringRadius = null)
{
    /// <summary>Median time per epoch of a trainer relative to a baseline trainer's, standard by default (null without both).</summary>
    public double? TimeRatio(string trainer, string baseline = "standard") => Ratio(trainer, baseline, t => t.MedianEpochSeconds);

    /// <summary>Median processor time per epoch of a trainer relative to a baseline trainer's (null without both).</summary>
    public double? CpuTimeRatio(string trainer, string baseline = "standard") => Ratio(trainer, baseline, t => t.MedianEpochCpuSeconds);

    private double? Ratio(string trainer, string baseline, Func<TrainerReport, double> median)
    {
        var reference = Trainers.FirstOrDefault(t => t.Name == baseline);
        var other = Trainers.FirstOrDefault(t => t.Name == trainer);
        if (reference is null || other is null || !(median(reference) > 0) || double.IsNaN(median(other))) return null;
        return median(other) / median(reference);
    }
}
