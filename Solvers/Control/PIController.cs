namespace RobustNode.Solvers.Control;

/// <summary>
/// Proportional–integral step-size control: h_new = h · safety · err^(−β₁/k) · err_prev^(β₂/k), clipped to
/// [minFactor, maxFactor] (no growth right after a rejection), where k = (embedded order) + 1 and err is the
/// mixed RMS norm of the error estimate scaled by atol + rtol·max(|y₀|, |y₁|). A step is accepted when err ≤ 1.
/// Non-finite errors reject the step and shrink h by minFactor. Gustafsson (1991); Hairer &amp; Wanner II, IV.2.
/// </summary>
public sealed record PIController(
    double RelativeTolerance = 1e-3,
    double AbsoluteTolerance = 1e-6,
    double Safety = 0.9,
    double MinFactor = 0.2,
    double MaxFactor = 10.0,
    double Beta1 = 0.7,
    double Beta2 = 0.4,
    double? InitialStep = null,
    double? MinStep = null,
    int MaxSteps = 100_000) : IStepSizeController
{
    public bool IsAdaptive => true;

    public double FirstStep(double t0, double t1, double previous, Func<double> estimate)
    {
        double span = t1 - t0;
        double h = double.IsNaN(previous) ? (InitialStep ?? estimate()) : Math.Abs(previous);
        return Math.Sign(span) * Math.Min(Math.Abs(h), Math.Abs(span));
    }

    public StepDecision Decide(double h, double errorNorm, double errorMemory, int errorOrder)
    {
        if (!double.IsFinite(errorNorm)) return new(false, h * MinFactor, errorMemory);
        double k = errorOrder + 1;
        double err = Math.Max(errorNorm, 1e-10);
        if (err <= 1)
        {
            double factor = Safety * Math.Pow(err, -Beta1 / k) * Math.Pow(errorMemory, Beta2 / k);
            return new(true, h * Math.Clamp(factor, MinFactor, MaxFactor), err);
        }
        double shrink = Safety * Math.Pow(err, -1.0 / k);
        return new(false, h * Math.Clamp(shrink, MinFactor, 1.0), errorMemory);
    }

    public double MinimumStep(double t) => MinStep ?? 10 * (Math.BitIncrement(Math.Abs(t)) - Math.Abs(t));
}
