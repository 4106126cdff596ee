using LanguageExt.Common;

namespace RobustNode.Core.Errors;

/// <summary>
/// Domain errors as values: every failure the core reports has a stable code and a message that
/// names the problem and where it happened (a key, a JSON path, a time, a layer).
/// </summary>
internal static class RobustNodeErrors
{
    // The codes live in the one registry, ErrorCodes.
    /// <summary>The code of a malformed Butcher tableau: <see cref="ErrorCodes.InvalidTableau"/>.</summary>
    public const int InvalidTableauCode = ErrorCodes.InvalidTableau;
    /// <summary>The code of a violated order condition: <see cref="ErrorCodes.OrderCondition"/>.</summary>
    public const int OrderConditionCode = ErrorCodes.OrderCondition;
    /// <summary>The code of a tensor of the wrong shape: <see cref="ErrorCodes.ShapeMismatch"/>.</summary>
    public const int ShapeMismatchCode = ErrorCodes.ShapeMismatch;
    /// <summary>The code of a NaN or infinite ODE solution: <see cref="ErrorCodes.NonFiniteState"/>.</summary>
    public const int NonFiniteStateCode = ErrorCodes.NonFiniteState;
    /// <summary>The code of an adaptive step size below the smallest step: <see cref="ErrorCodes.StepSizeUnderflow"/>.</summary>
    public const int StepSizeUnderflowCode = ErrorCodes.StepSizeUnderflow;
    /// <summary>The code of a solve that needs more steps than its limit: <see cref="ErrorCodes.MaxStepsExceeded"/>.</summary>
    public const int MaxStepsExceededCode = ErrorCodes.MaxStepsExceeded;
    /// <summary>The code of a NaN or infinite loss or gradient: <see cref="ErrorCodes.NonFiniteResult"/>.</summary>
    public const int NonFiniteResultCode = ErrorCodes.NonFiniteResult;
    /// <summary>The code of a library argument out of its domain: <see cref="ErrorCodes.InvalidArgument"/>.</summary>
    public const int InvalidArgumentCode = ErrorCodes.InvalidArgument;

    /// <summary>Tableau <paramref name="name"/> is malformed (code <see cref="InvalidTableauCode"/>).</summary>
    /// <param name="name">The tableau's name.</param>
    /// <param name="reason">What is wrong with it.</param>
    public static Error InvalidTableau(string name, string reason) =>
        Error.New(InvalidTableauCode, $"tableau '{name}': {reason}");

    /// <summary>Tableau <paramref name="name"/> violates an order condition of its claimed order (code <see cref="OrderConditionCode"/>).</summary>
    /// <param name="name">The tableau's name.</param>
    /// <param name="reason">Which condition fails, and by how much.</param>
    public static Error OrderCondition(string name, string reason) =>
        Error.New(OrderConditionCode, $"tableau '{name}': {reason}");

    /// <summary>A tensor has the wrong shape (code <see cref="ShapeMismatchCode"/>).</summary>
    /// <param name="what">The tensor, as the message names it.</param>
    /// <param name="expected">The expected shape.</param>
    /// <param name="actual">The shape it has.</param>
    public static Error ShapeMismatch(string what, string expected, string actual) =>
        Error.New(ShapeMismatchCode, $"{what}: expected shape {expected}, got {actual}");

    /// <summary>The ODE solution became NaN or infinite (code <see cref="NonFiniteStateCode"/>).</summary>
    /// <param name="t">The time at which it was detected.</param>
    /// <param name="layer">The layer (control interval) of that time.</param>
    public static Error NonFiniteState(double t, int layer) =>
        Error.New(NonFiniteStateCode, $"the solution became NaN or infinite at t = {t:G6} (layer {layer})");

    /// <summary>The adaptive step size fell below the smallest step (code <see cref="StepSizeUnderflowCode"/>); the problem may be stiff or blow up.</summary>
    /// <param name="t">The time reached.</param>
    /// <param name="h">The rejected step size.</param>
    /// <param name="layer">The layer (control interval) of <paramref name="t"/>.</param>
    public static Error StepSizeUnderflow(double t, double h, int layer) =>
        Error.New(StepSizeUnderflowCode,
            $"step size underflow at t = {t:G6} (layer {layer}): h = {h:G3} is below the minimum step; the problem may be stiff or the solution may blow up");

    /// <summary>An adaptive solve needed more than <paramref name="maxSteps"/> steps (code <see cref="MaxStepsExceededCode"/>).</summary>
    /// <param name="t">The time at which the solve stopped.</param>
    /// <param name="maxSteps">The step limit of one solve.</param>
    public static Error MaxStepsExceeded(double t, int maxSteps) =>
        Error.New(MaxStepsExceededCode, $"more than {maxSteps} steps were needed (stopped at t = {t:G6}); raise the step limit or loosen the tolerances");

    /// <summary>A fixed-step solve would need more than <paramref name="maxSteps"/> steps (code <see cref="MaxStepsExceededCode"/>); refused before it starts.</summary>
    /// <param name="t">The start time of the solve.</param>
    /// <param name="maxSteps">The step limit of one solve.</param>
    /// <param name="need">How many steps the solve needs, as the message states it.</param>
    public static Error MaxStepsExceeded(double t, int maxSteps, string need) =>
        Error.New(MaxStepsExceededCode, $"{need}, more than the limit of {maxSteps} steps of one solve (from t = {t:G6}); raise the step limit or take fewer steps per layer");

    /// <summary>A loss or gradient is NaN or infinite although the states stayed finite (code <see cref="NonFiniteResultCode"/>).</summary>
    /// <param name="what">The quantity, as the message names it.</param>
    /// <param name="reason">Which value is not finite.</param>
    public static Error NonFiniteResult(string what, string reason) =>
        Error.New(NonFiniteResultCode, $"{what} is not finite: {reason}");

    /// <summary>An argument of a library call is out of its domain (code <see cref="InvalidArgumentCode"/>).</summary>
    /// <param name="name">The argument's name.</param>
    /// <param name="reason">What is wrong with its value.</param>
    public static Error InvalidArgument(string name, string reason) =>
        Error.New(InvalidArgumentCode, $"{name}: {reason}");
}

/// <summary>An exception carrying a domain <see cref="Error"/>, used only to cross native or deep call stacks.</summary>
internal sealed class RobustNodeException(Error error) : Exception(error.Message)
{
    /// <summary>The domain error that was thrown.</summary>
    public Error Error { get; } = error;
}
