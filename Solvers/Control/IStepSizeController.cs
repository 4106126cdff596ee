namespace RobustNode.Solvers.Control;

/// <summary>A controller's decision on one attempted step: accept or reject, and the next step size (signed).</summary>
public readonly record struct StepDecision(bool Accept, double NextStep, double ErrorMemory);

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
    /// The first step on [t0, t1] (signed like t1 − t0). <paramref name="previous"/> is the step
    /// proposed at the end of the preceding interval (NaN at the start of a solve); <paramref name="estimate"/>
    /// computes an automatic initial step (costs one function evaluation).
    /// </summary>
    double FirstStep(double t0, double t1, double previous, Func<double> estimate);

    /// <summary>Decides on a step of size h whose scaled error norm is <paramref name="errorNorm"/> (NaN when not estimated).</summary>
    StepDecision Decide(double h, double errorNorm, double errorMemory, int errorOrder);

    /// <summary>Smallest step magnitude allowed at time t before the solve fails with step-size underflow.</summary>
    double MinimumStep(double t);
}
