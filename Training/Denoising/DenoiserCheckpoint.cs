using System.Globalization;
using LanguageExt;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// Denoiser checkpoints: the usual <see cref="Checkpoint"/> (parameters, optimizer state, epoch) with a fingerprint that
/// describes the network completely — "kind" = denoiser, its name, the architecture's entries, dtype, seeds, patches
/// and training options — so that a checkpoint alone rebuilds the denoiser (<see cref="Load"/>), whatever the
/// configuration says today.
/// </summary>
public static class DenoiserCheckpoint
{
    /// <summary>The fingerprint's "kind" entry for denoisers.</summary>
    public const string Kind = "denoiser";

    /// <summary>The fingerprint of a denoiser training run.</summary>
    public static ConfigurationFingerprint Fingerprint(string name, IDenoiserArchitecture architecture, ScalarType dtype, ulong seed, PatchSet patches,
        DenoiserTrainingOptions options) =>
        new([
            new("kind", Kind),
            new("denoiser", name),
            new("model", Description(architecture)),
            .. architecture.Describe(),
            new("model.dtype", dtype.ToString()),
            new("model.seed", seed.ToString(CultureInfo.InvariantCulture)),
            new("data", patches.Name),
            .. options.Describe(),
        ]);

    /// <summary>
    /// A training state restored from a checkpoint of the same run (equal fingerprint, parameters shaped like the
    /// template's, the options' optimizer); the errors name every difference.
    /// </summary>
    public static Fin<TrainingState<Tensor>> Resume(Checkpoint checkpoint, IBlock<Tensor> template, DenoiserTrainingOptions options, ConfigurationFingerprint expected) =>
        // Checkpoint.Restore reads only the optimizer of the options it is given.
        checkpoint.Restore(template, new TrainingOptions(new StandardObjective(), options.Optimizer), expected);

    /// <summary>
    /// The trained denoiser a checkpoint holds, rebuilt from its fingerprint alone: the architecture from its entries,
    /// the network in the type of the saved parameters, the name from the "denoiser" entry. Fails, naming the problem,
    /// for a checkpoint of something else or one whose parameters do not fit the architecture.
    /// </summary>
    public static Fin<TrainedDenoiser> Load(Checkpoint checkpoint)
    {
        var entries = checkpoint.Fingerprint.Entries.ToDictionary(e => e.Key, e => e.Value);
        if (!entries.TryGetValue("kind", out var kind) || kind != Kind)
            return FinFail<TrainedDenoiser>(TrainingErrors.CheckpointMismatch(
                entries.TryGetValue("experiment", out var experiment)
                    ? $"it holds a model of experiment '{experiment}', not a denoiser (train one with train-denoiser)"
                    : "it does not hold a denoiser (train one with train-denoiser)"));
        if (checkpoint.Parameters.Count == 0)
            return FinFail<TrainedDenoiser>(TrainingErrors.CheckpointMismatch("it holds no parameters"));
        var dtype = checkpoint.Parameters[0].DType;
        return DenoiserArchitectures.FromDescription(checkpoint.Fingerprint.Entries)
            .Bind(architecture => architecture.Build(0, dtype).Bind(template =>
            {
                var expected = template.Parameters;
                if (expected.Count != checkpoint.Parameters.Count)
                    return FinFail<TrainedDenoiser>(TrainingErrors.CheckpointMismatch(
                        $"it holds {checkpoint.Parameters.Count} parameters, a {architecture.Name} network of this description has {expected.Count}"));
                for (int i = 0; i < expected.Count; i++)
                    if (!checkpoint.Parameters[i].Shape.SequenceEqual(expected[i].shape) || checkpoint.Parameters[i].DType != expected[i].dtype)
                        return FinFail<TrainedDenoiser>(TrainingErrors.CheckpointMismatch(
                            $"parameter {i} is {checkpoint.Parameters[i].DType} [{string.Join(", ", checkpoint.Parameters[i].Shape)}], the network expects {expected[i].dtype} [{string.Join(", ", expected[i].shape)}]"));
                var network = template.WithParameters(checkpoint.Parameters.Select(p => p.ToTensor().DetachFromDisposeScope()).ToArray());
                foreach (var p in expected) p.Dispose();
                return FinSucc(new TrainedDenoiser(entries.TryGetValue("denoiser", out var name) ? name : architecture.Name, architecture, network));
            }));
    }

    /// <summary>"dncnn(width=32, depth=7, kernel=3)": the architecture's name and settings in one line.</summary>
    public static string Description(IDenoiserArchitecture architecture) =>
        architecture.Name + "(" + string.Join(", ", architecture.Describe()
            .Where(e => e.Key.StartsWith("architecture.", StringComparison.Ordinal))
            .Select(e => $"{e.Key["architecture.".Length..]}={e.Value}")) + ")";

    /// <summary>The noise levels (grey levels of [0, 1]) a checkpoint's denoiser was trained at, when recorded.</summary>
    public static IReadOnlyList<double> NoiseLevels(Checkpoint checkpoint) =>
        checkpoint.Fingerprint.Entries.Where(e => e.Key == "training.noiseLevels")
            .SelectMany(e => e.Value.Split(',', StringSplitOptions.RemoveEmptyEntries))
            .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN)
            .Where(double.IsFinite).ToArray();
}
