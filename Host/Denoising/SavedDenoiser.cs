using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.Runs;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Denoising;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Denoising;

/// <summary>
/// A trained denoiser read back from its checkpoint (<c>models/&lt;denoiser&gt;.ckpt</c> of a train-denoiser run, or a
/// per-epoch checkpoint): rebuilt from the checkpoint alone, with the noise levels it was trained at. Errors name the file.
/// </summary>
internal sealed record SavedDenoiser(string Path, TrainedDenoiser Denoiser, IReadOnlyList<double> NoiseLevels, Checkpoint Checkpoint)
{
    /// <summary>Reads and rebuilds the denoiser of a checkpoint file.</summary>
    public static Validation<Error, SavedDenoiser> Load(string path) =>
        CheckpointFile.Read(path).Bind(checkpoint => DenoiserCheckpoint.Load(checkpoint).Match(
            Succ: d => Success<Error, SavedDenoiser>(new SavedDenoiser(path, d, DenoiserCheckpoint.NoiseLevels(checkpoint), checkpoint)),
            Fail: e => Fail<Error, SavedDenoiser>(HostErrors.File(path, e.Message))));
}
