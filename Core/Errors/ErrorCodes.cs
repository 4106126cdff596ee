namespace RobustNode.Core.Errors;

/// <summary>
/// The one registry of error codes of every RobustNode library and of the <c>robustnode</c> program. The classes that
/// make the errors (<see cref="RobustNodeErrors"/>, <c>TrainingErrors</c>, the host's <c>HostErrors</c>) take their
/// codes from here, so no code is used twice; the README's table lists the same codes. Ranges: 1xx tableaux,
/// 2xx shapes, 3xx failed computations, 4xx arguments, 5xx training, 6xx checkpoints, 7xx the program's input.
/// </summary>
public static class ErrorCodes
{
    /// <summary>A Butcher tableau is malformed (shapes, explicitness, c = A·1, claimed orders).</summary>
    public const int InvalidTableau = 100;
    /// <summary>A tableau's weights violate an order condition of its claimed order.</summary>
    public const int OrderCondition = 101;
    /// <summary>A tensor has the wrong shape.</summary>
    public const int ShapeMismatch = 200;
    /// <summary>The solution of an ODE became NaN or infinite.</summary>
    public const int NonFiniteState = 300;
    /// <summary>The adaptive step size fell below the smallest step.</summary>
    public const int StepSizeUnderflow = 301;
    /// <summary>A solve needed more steps than its limit.</summary>
    public const int MaxStepsExceeded = 302;
    /// <summary>A loss or a gradient came out NaN or infinite (overflow) although the states stayed finite.</summary>
    public const int NonFiniteResult = 303;
    /// <summary>An argument of a library call is out of its domain.</summary>
    public const int InvalidArgument = 400;
    /// <summary>A data set is malformed (labels, shapes, files).</summary>
    public const int InvalidDataset = 500;
    /// <summary>A training setting or model does not fit the training run.</summary>
    public const int InvalidTrainingConfiguration = 501;
    /// <summary>Training diverged: the objective became non-finite or grew by orders of magnitude.</summary>
    public const int TrainingDiverged = 502;
    /// <summary>The data is not a RobustNode checkpoint.</summary>
    public const int CheckpointFormat = 600;
    /// <summary>A checkpoint's format version is not supported.</summary>
    public const int CheckpointVersion = 601;
    /// <summary>A checkpoint is truncated or corrupted.</summary>
    public const int CheckpointCorrupted = 602;
    /// <summary>A checkpoint belongs to another configuration or model.</summary>
    public const int CheckpointMismatch = 603;
    /// <summary>A setting of the configuration is invalid.</summary>
    public const int Configuration = 700;
    /// <summary>An entry of a problem file is invalid.</summary>
    public const int ProblemFile = 710;
    /// <summary>A command-line argument is invalid.</summary>
    public const int CommandLine = 720;
    /// <summary>A file cannot be read or written, or its contents are unusable.</summary>
    public const int File = 730;
    /// <summary>A computation of the program failed (training, evaluation, plotting).</summary>
    public const int Computation = 740;

    /// <summary>Every code with its name, in ascending order.</summary>
    public static IReadOnlyList<(int Code, string Name)> All { get; } = typeof(ErrorCodes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int))
        .Select(f => ((int)f.GetRawConstantValue()!, f.Name))
        .OrderBy(x => x.Item1)
        .ToArray();

    /// <summary>True for the codes of a failed computation (the program exits with 3 for them).</summary>
    public static bool IsComputationFailure(int code) => code is >= 300 and < 400 || code == TrainingDiverged || code == Computation;
}
