using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.IO;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Runs;

/// <summary>Checkpoint files: written atomically, read with every failure (missing, unreadable, corrupted) naming the file.</summary>
internal static class CheckpointFile
{
    /// <summary>Writes the training state's checkpoint atomically (temporary file, then rename).</summary>
    public static void Write<T>(string path, TrainingState<T> state, ConfigurationFingerprint fingerprint) =>
        AtomicFile.WriteAllBytes(path, Bytes(state, fingerprint));

    /// <summary>The checkpoint file's content for the training state as it is now.</summary>
    public static byte[] Bytes<T>(TrainingState<T> state, ConfigurationFingerprint fingerprint) =>
        CheckpointSerializer.Serialize(Checkpoint.Capture(state, fingerprint));

    /// <summary>Largest checkpoint file read (bytes).</summary>
    public const long MaxCheckpointBytes = 1L << 30;

    /// <summary>
    /// The checkpoint in a file. Only its header is read before the magic bytes and the announced length are checked,
    /// so a foreign file or a device that never ends (<c>/dev/zero</c>) is refused after a few bytes.
    /// </summary>
    public static Validation<Error, Checkpoint> Read(string path)
    {
        const int header = 20;
        var start = InputFile.ReadPrefix(path, header);
        if (start.IsFail) return start.Map(_ => default(Checkpoint)!).MapFail(e => HostErrors.File(path, $"cannot read the checkpoint: {Reason(e)}"));
        var prefix = start.SuccessToSeq().Head;
        if (prefix.Length < header || !prefix.AsSpan(0, 8).SequenceEqual("RNODECKP"u8))
            return CheckpointSerializer.Deserialize(prefix).ToValidation().MapFail(e => HostErrors.File(path, e.Message));
        long announced = 20 + BitConverter.ToInt64(prefix, 12) + 32;
        if (announced < 0 || announced > MaxCheckpointBytes)
            return Fail<Error, Checkpoint>(HostErrors.File(path, $"the checkpoint announces {announced} bytes, more than the limit of {MaxCheckpointBytes}"));
        return InputFile.ReadBytes(path, announced)
            .MapFail(e => HostErrors.File(path, $"cannot read the checkpoint: {Reason(e)}"))
            .Bind(bytes => CheckpointSerializer.Deserialize(bytes).ToValidation().MapFail(e => HostErrors.File(path, e.Message)));
    }

    private static string Reason(Error e)
    {
        int colon = e.Message.IndexOf(": cannot read: ", StringComparison.Ordinal);
        return colon >= 0 ? e.Message[(colon + ": cannot read: ".Length)..] : e.Message;
    }
}
