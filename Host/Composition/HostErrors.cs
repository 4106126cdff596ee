using LanguageExt.Common;
using RobustNode.Core.Errors;

namespace RobustNode.Host.Composition;

/// <summary>
/// The shell's errors as values, each naming where the problem is: a configuration key
/// (<c>Solver:Name</c>), a JSON path (<c>$.x0[1][0]</c>), a command-line option or a file.
/// </summary>
internal static class HostErrors
{
    // The codes live in the one registry, RobustNode.Core.Errors.ErrorCodes.
    /// <summary>The code of an invalid configuration setting: <see cref="ErrorCodes.Configuration"/>.</summary>
    public const int ConfigurationCode = ErrorCodes.Configuration;
    /// <summary>The code of an invalid problem-file entry: <see cref="ErrorCodes.ProblemFile"/>.</summary>
    public const int ProblemFileCode = ErrorCodes.ProblemFile;
    /// <summary>The code of an invalid command-line argument: <see cref="ErrorCodes.CommandLine"/>.</summary>
    public const int CommandLineCode = ErrorCodes.CommandLine;
    /// <summary>The code of a file that cannot be read or written, or whose contents are unusable: <see cref="ErrorCodes.File"/>.</summary>
    public const int FileCode = ErrorCodes.File;
    /// <summary>The code of a failed computation of the program: <see cref="ErrorCodes.Computation"/>.</summary>
    public const int ComputationCode = ErrorCodes.Computation;

    /// <summary>A configuration value that cannot be used, e.g. <c>Torch:Threads: must be at least 1, got 0</c>.</summary>
    public static Error Configuration(string key, string reason) => Error.New(ConfigurationCode, $"{key}: {reason}");

    /// <summary>A problem-file entry that cannot be used, e.g. <c>$.x0[1][0]: NaN is not allowed</c>.</summary>
    public static Error ProblemFile(string path, string reason) => Error.New(ProblemFileCode, $"{path}: {reason}");

    /// <summary>A command-line argument that cannot be used.</summary>
    public static Error CommandLine(string option, string reason) => Error.New(CommandLineCode, $"{option}: {reason}");

    /// <summary>A file that cannot be read or written.</summary>
    public static Error File(string path, string reason) => Error.New(FileCode, $"{path}: {reason}");

    /// <summary>A computation that failed (a diverging training run, a solver failure), e.g. <c>standard: epoch 3, batch 7: …</c>.</summary>
    public static Error Computation(string what, string reason) => Error.New(ComputationCode, $"{what}: {reason}");
}
