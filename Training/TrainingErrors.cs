using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;

namespace RobustNode.Training;

/// <summary>
/// The errors of the training library as values with stable codes (the core's codes are in
/// <c>RobustNode.Core.Errors.RobustNodeErrors</c>). Messages name what is wrong and where.
/// </summary>
public static class TrainingErrors
{
    // The codes live in the one registry, RobustNode.Core.Errors.ErrorCodes.
    public const int InvalidDatasetCode = ErrorCodes.InvalidDataset;
    public const int InvalidConfigurationCode = ErrorCodes.InvalidTrainingConfiguration;
    public const int DivergedCode = ErrorCodes.TrainingDiverged;
    public const int CheckpointFormatCode = ErrorCodes.CheckpointFormat;
    public const int CheckpointVersionCode = ErrorCodes.CheckpointVersion;
    public const int CheckpointCorruptedCode = ErrorCodes.CheckpointCorrupted;
    public const int CheckpointMismatchCode = ErrorCodes.CheckpointMismatch;

    public static Error InvalidDataset(string what, string reason) => Error.New(InvalidDatasetCode, $"data set {what}: {reason}");

    public static Error InvalidConfiguration(string key, string reason) => Error.New(InvalidConfigurationCode, $"{key}: {reason}");

    public static Error Diverged(string reason) => Error.New(DivergedCode, $"training diverged: {reason}");

    public static Error CheckpointFormat(string reason) => Error.New(CheckpointFormatCode, $"not a RobustNode checkpoint: {reason}");

    public static Error CheckpointVersion(int found, int supported) =>
        Error.New(CheckpointVersionCode, $"checkpoint format version {found} is not supported (this library reads versions 1 to {supported})");

    public static Error CheckpointCorrupted(string reason) => Error.New(CheckpointCorruptedCode, $"corrupted checkpoint: {reason}");

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
