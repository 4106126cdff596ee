using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.IO;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Runs;

/// <summary>Checkpoint files: written atomically, read with every failure (missing, unreadable, corrupted) naming the file.</summary>
public static class CheckpointFile
{
    /// <summary>Writes the training state's checkpoint atomically (temporary file, then rename).</summary>
    public static void Write<T>(string path, TrainingState<T> state, ConfigurationFingerprint fingerprint) =>
        AtomicFile.WriteAllBytes(path, CheckpointSerializer.Serialize(Checkpoint.Capture(state, fingerprint)));

    /// <summary>The checkpoint in a file.</summary>
    public static Validation<Error, Checkpoint> Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex.Message;
            return Fail<Error, Checkpoint>(HostErrors.File(path, $"cannot read the checkpoint: {reason}"));
        }
        return CheckpointSerializer.Deserialize(bytes).ToValidation().MapFail(e => HostErrors.File(path, e.Message));
    }
}
