using System.Text.Json.Serialization;
using RobustNode.Training.Trainers;

namespace RobustNode.Host.Schemas;

/// <summary>
/// One epoch of a training history (<c>checkpoints/&lt;trainer&gt;.history.json</c> is an array of them, and so is each
/// trainer's <c>history</c> in report.json): <c>{ "epoch" (from 1), "loss", "objective", "trainAccuracy",
/// "learningRate", "batches", "samples", "seconds", "cpuSeconds" }</c> (<c>cpuSeconds</c>: the process's processor
/// time in the epoch; absent in files written before it was recorded).
/// </summary>
internal sealed record EpochJson(int Epoch, double Loss, double Objective, double TrainAccuracy, double LearningRate, int Batches, int Samples, double Seconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? CpuSeconds = null)
{
    /// <summary>An epoch's metrics (seconds rounded to 0.1 ms).</summary>
    public static EpochJson From(EpochMetrics m) =>
        new(m.Epoch + 1, m.Loss, m.Objective, m.TrainAccuracy, m.LearningRate, m.Batches, m.Samples, Math.Round(m.WallTime.TotalSeconds, 4),
            m.CpuTime > TimeSpan.Zero ? Math.Round(m.CpuTime.TotalSeconds, 4) : null);

    /// <summary>The metrics again (epochs counted from 0).</summary>
    public EpochMetrics ToMetrics() =>
        new(Epoch - 1, Loss, Objective, TrainAccuracy, LearningRate, Batches, Samples, TimeSpan.FromSeconds(double.IsFinite(Seconds) ? Seconds : 0))
        { CpuTime = CpuSeconds is { } c && double.IsFinite(c) && c > 0 ? TimeSpan.FromSeconds(c) : TimeSpan.Zero };
}
