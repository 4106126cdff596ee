using LanguageExt.Common;

namespace RobustNode.Core.Errors;

/// <summary>
/// Domain errors as values: every failure the core reports has a stable code and a message that
/// names the problem and where it happened (a key, a JSON path, a time, a layer).
/// </summary>
public static class RobustNodeErrors
{
    // The codes live in the one registry, ErrorCodes.
    public const int InvalidTableauCode = ErrorCodes.InvalidTableau;
    public const int OrderConditionCode = ErrorCodes.OrderCondition;
    public const int ShapeMismatchCode = ErrorCodes.ShapeMismatch;
    public const int NonFiniteStateCode = ErrorCodes.NonFiniteState;
    public const int StepSizeUnderflowCode = ErrorCodes.StepSizeUnderflow;
    public const int MaxStepsExceededCode = ErrorCodes.MaxStepsExceeded;
    public const int NonFiniteResultCode = ErrorCodes.NonFiniteResult;
    public const int InvalidArgumentCode = ErrorCodes.InvalidArgument;

    public static Error InvalidTableau(string name, string reason) =>
        Error.New(InvalidTableauCode, $"tableau '{name}': {reason}");

    public static Error OrderCondition(string name, string reason) =>
        Error.New(OrderConditionCode, $"tableau '{name}': {reason}");

    public static Error ShapeMismatch(string what, string expected, string actual) =>
        Error.New(ShapeMismatchCode, $"{what}: expected shape {expected}, got {actual}");

    public static Error NonFiniteState(double t, int layer) =>
        Error.New(NonFiniteStateCode, $"the solution became NaN or infinite at t = {t:G6} (layer {layer})");

    public static Error StepSizeUnderflow(double t, double h, int layer) =>
        Error.New(StepSizeUnderflowCode,
            $"step size underflow at t = {t:G6} (layer {layer}): h = {h:G3} is below the minimum step; the problem may be stiff or the solution may blow up");

    public static Error MaxStepsExceeded(double t, int maxSteps) =>
        Error.New(MaxStepsExceededCode, $"more than {maxSteps} steps were needed (stopped at t = {t:G6}); raise the step limit or loosen the tolerances");

    public static Error MaxStepsExceeded(double t, int maxSteps, string need) =>
        Error.New(MaxStepsExceededCode, $"{need}, more than the limit of {maxSteps} steps of one solve (from t = {t:G6}); raise the step limit or take fewer steps per layer");

    public static Error NonFiniteResult(string what, string reason) =>
        Error.New(NonFiniteResultCode, $"{what} is not finite: {reason}");

    public static Error InvalidArgument(string name, string reason) =>
        Error.New(InvalidArgumentCode, $"{name}: {reason}");
}

/// <summary>An exception carrying a domain <see cref="Error"/>, used only to cross native or deep call stacks.</summary>
public sealed class RobustNodeException(Error error) : Exception(error.Message)
{
    public Error Error { get; } = error;
}
