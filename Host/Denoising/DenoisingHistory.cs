using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Schemas;
using RobustNode.Training.Denoising;

namespace RobustNode.Host.Denoising;

/// <summary>
/// A denoiser's per-epoch metrics, kept beside its checkpoint so that a resumed run reports its whole training curve:
/// an array of <see cref="DenoisingEpochJson"/>.
/// </summary>
internal static class DenoisingHistory
{
    /// <summary>Writes the metrics atomically.</summary>
    public static void Write(string path, IReadOnlyList<DenoisingEpoch> epochs) =>
        JsonFiles.WriteFile<IReadOnlyList<DenoisingEpochJson>>(path, epochs.Select(DenoisingEpochJson.From).ToArray(), JsonFiles.Default.IReadOnlyListDenoisingEpochJson);

    /// <summary>The metrics of a history file; an error naming the file when it cannot be read or does not fit.</summary>
    public static Validation<Error, IReadOnlyList<DenoisingEpoch>> Read(string path) =>
        JsonFiles.Read(path, JsonFiles.Default.IReadOnlyListDenoisingEpochJson, "training history")
            .Map(epochs => (IReadOnlyList<DenoisingEpoch>)epochs.Select(e => e.ToEpoch()).ToArray());
}
