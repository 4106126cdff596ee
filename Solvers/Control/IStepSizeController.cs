namespace RobustNode.Solvers.Control;

/// <summary>
/// What a controller carries from one attempted step to the next: the error norm of the last accepted
/// step (the PI term) and whether the last attempt was rejected (then the step may not grow).
/// </summary>
public readonly record struct ControllerMemory(double PreviousError, bool LastRejected)
{
    /// <summary>The memory at the start of a solve: a neutral error of 1, nothing rejected.</summary>
    public static ControllerMemory Initial => new(1.0, false);
}

/// <summary>A controller's decision on one attempted step: accept or reject, the next step size (signed), the new memory.</summary>
public readonly record struct StepDecision(bool Accept, double NextStep, ControllerMemory Memory);

/// <summary>
/// Step-size control as a family of values: constant steps and the PI controller. A controller
/// proposes the first step of an interval and decides on each attempted step; it never mutates.
/// </summary>
public interface IStepSizeController
{
    /// <summary>True when the controller needs the tableau's embedded error estimate.</summary>
    bool IsAdaptive { get; }

    /// <summary>Relative tolerance (adaptive controllers).</summary>
    double RelativeTolerance { get; }

    /// <summary>Absolute tolerance (adaptive controllers).</summary>
    double AbsoluteTolerance { get; }

    /// <summary>Most steps allowed in one solve.</summary>
    int MaxSteps { get; }

    /// <summary>
    /// True when <see cref="FirstStep"/> needs the automatic initial step estimate, given the step proposed at the end of
    /// the preceding interval (NaN at the start of a solve). The estimate costs one function evaluation.
    /// </summary>
    bool NeedsInitialEstimate(double previous);

    /// <summary>
    /// The first step on [t0, t1] (signed like t1 − t0). <paramref name="previous"/> is the step
    /// proposed at the end of the preceding interval (NaN at the start of a solve); <paramref name="estimate"/>
    /// is the automatic initial step when <see cref="NeedsInitialEstimate"/> asked for it, else NaN.
    /// </summary>
    double FirstStep(double t0, double t1, double previous, double estimate);

    /// <summary>Decides on a step of size h whose scaled error norm is <paramref name="errorNorm"/> (NaN when not estimated).</summary>
    StepDecision Decide(double h, double errorNorm, ControllerMemory memory, int errorOrder);

    /// <summary>Smallest step magnitude allowed at time t before the solve fails with step-size underflow.</summary>
    double MinimumStep(double t);
}
