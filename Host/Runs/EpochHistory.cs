using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Schemas;
using RobustNode.Training.Trainers;

namespace RobustNode.Host.Runs;

/// <summary>
/// A trainer's per-epoch metrics, kept beside its checkpoint so that a resumed run still reports its whole training
/// curve: an array of <see cref="EpochJson"/>, <c>[{ "epoch", "loss", "objective", "trainAccuracy", "learningRate",
/// "batches", "samples", "seconds" }, …]</c>.
/// </summary>
internal static class EpochHistory
{
    /// <summary>Writes the metrics atomically.</summary>
    public static void Write(string path, IReadOnlyList<EpochMetrics> epochs) =>
        JsonFiles.WriteFile<IReadOnlyList<EpochJson>>(path, epochs.Select(EpochJson.From).ToArray(), JsonFiles.Default.IReadOnlyListEpochJson);

    /// <summary>The metrics as indented JSON.</summary>
    public static byte[] ToJson(IReadOnlyList<EpochMetrics> epochs) =>
        JsonFiles.Write<IReadOnlyList<EpochJson>>(epochs.Select(EpochJson.From).ToArray(), JsonFiles.Default.IReadOnlyListEpochJson);

    /// <summary>The metrics of a history file; an error naming the file when it cannot be read or parsed.</summary>
    public static Validation<Error, IReadOnlyList<EpochMetrics>> Read(string path) =>
        JsonFiles.Read(path, JsonFiles.Default.IReadOnlyListEpochJson, "training history")
            .Map(epochs => (IReadOnlyList<EpochMetrics>)epochs.Select(e => e.ToMetrics()).ToArray());
}
