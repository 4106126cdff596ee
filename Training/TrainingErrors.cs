using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;

namespace RobustNode.Training;

/// <summary>
/// The errors of the training library as values with stable codes (the core's codes are in
/// <c>RobustNode.Core.Errors.RobustNodeErrors</c>). Messages name what is wrong and where.
/// </summary>
internal static class TrainingErrors
{
    // The codes live in the one registry, RobustNode.Core.Errors.ErrorCodes.
    /// <summary>The code of a malformed data set: <see cref="ErrorCodes.InvalidDataset"/>.</summary>
    public const int InvalidDatasetCode = ErrorCodes.InvalidDataset;
    /// <summary>The code of a training setting or model that does not fit the run: <see cref="ErrorCodes.InvalidTrainingConfiguration"/>.</summary>
    public const int InvalidConfigurationCode = ErrorCodes.InvalidTrainingConfiguration;
    /// <summary>The code of diverged training: <see cref="ErrorCodes.TrainingDiverged"/>.</summary>
    public const int DivergedCode = ErrorCodes.TrainingDiverged;
    /// <summary>The code of data that is not a RobustNode checkpoint: <see cref="ErrorCodes.CheckpointFormat"/>.</summary>
    public const int CheckpointFormatCode = ErrorCodes.CheckpointFormat;
    /// <summary>The code of an unsupported checkpoint format version: <see cref="ErrorCodes.CheckpointVersion"/>.</summary>
    public const int CheckpointVersionCode = ErrorCodes.CheckpointVersion;
    /// <summary>The code of a truncated or corrupted checkpoint: <see cref="ErrorCodes.CheckpointCorrupted"/>.</summary>
    public const int CheckpointCorruptedCode = ErrorCodes.CheckpointCorrupted;
    /// <summary>The code of a checkpoint of another configuration or model: <see cref="ErrorCodes.CheckpointMismatch"/>.</summary>
    public const int CheckpointMismatchCode = ErrorCodes.CheckpointMismatch;

    /// <summary>A data set is malformed (code <see cref="InvalidDatasetCode"/>).</summary>
    /// <param name="what">The data set or file, as the message names it.</param>
    /// <param name="reason">What is wrong with it.</param>
    public static Error InvalidDataset(string what, string reason) => Error.New(InvalidDatasetCode, $"data set {what}: {reason}");

    /// <summary>A training setting or model does not fit the run (code <see cref="InvalidConfigurationCode"/>).</summary>
    /// <param name="key">The setting's key.</param>
    /// <param name="reason">What is wrong with its value.</param>
    public static Error InvalidConfiguration(string key, string reason) => Error.New(InvalidConfigurationCode, $"{key}: {reason}");

    /// <summary>Training diverged (code <see cref="DivergedCode"/>): the objective became non-finite or grew by orders of magnitude.</summary>
    /// <param name="reason">What was observed, e.g. the epoch and the loss.</param>
    public static Error Diverged(string reason) => Error.New(DivergedCode, $"training diverged: {reason}");

    /// <summary>The data is not a RobustNode checkpoint (code <see cref="CheckpointFormatCode"/>).</summary>
    /// <param name="reason">What is missing or wrong.</param>
    public static Error CheckpointFormat(string reason) => Error.New(CheckpointFormatCode, $"not a RobustNode checkpoint: {reason}");

    /// <summary>A checkpoint's format version is not supported (code <see cref="CheckpointVersionCode"/>).</summary>
    /// <param name="found">The version in the file.</param>
    /// <param name="supported">The newest version this library reads (it reads 1 to this).</param>
    public static Error CheckpointVersion(int found, int supported) =>
        Error.New(CheckpointVersionCode, $"checkpoint format version {found} is not supported (this library reads versions 1 to {supported})");

    /// <summary>A checkpoint is truncated or corrupted (code <see cref="CheckpointCorruptedCode"/>).</summary>
    /// <param name="reason">What was found.</param>
    public static Error CheckpointCorrupted(string reason) => Error.New(CheckpointCorruptedCode, $"corrupted checkpoint: {reason}");

    /// <summary>A checkpoint belongs to another configuration or model (code <see cref="CheckpointMismatchCode"/>).</summary>
    /// <param name="reason">What differs, e.g. the differing keys.</param>
    public static Error CheckpointMismatch(string reason) => Error.New(CheckpointMismatchCode, $"checkpoint does not match this run: {reason}");

    /// <summary>One error listing every problem (the first one's code), or success when there are none.</summary>
    public static Fin<Unit> All(IEnumerable<Error> errors)
    {
        var list = errors.ToList();
        return list.Count switch
        {
            0 => FinSucc(unit),
            1 => FinFail<Unit>(list[0]),
            _ => FinFail<Unit>(Error.New(list[0].Code, string.Join("; ", list.Select(e => e.Message)))),
        };
    }

    /// <summary>A validation's failures as one error value listing them all.</summary>
    internal static Fin<T> Collect<T>(Validation<Error, T> validation) =>
        validation.Match(Succ: FinSucc, Fail: errors => All(errors).Map(_ => default(T)!));
}
