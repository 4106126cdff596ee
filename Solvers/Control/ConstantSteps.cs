namespace RobustNode.Solvers.Control;

/// <summary>
/// Fixed steps: either a number of equal steps per layer (interval), or a step size h rounded so that
/// every layer is covered by equal steps. Euler with one step per layer is a ResNet. A solve may take at most
/// <see cref="MaxSteps"/> steps, like an adaptive one: a solve that would need more fails before its first step.
/// </summary>
public sealed record ConstantSteps : IStepSizeController
{
    /// <summary>Equal steps per layer (used when <see cref="StepSize"/> is null).</summary>
    public int StepsPerLayer { get; }
    /// <summary>Requested step size; each layer uses ⌈width/h⌉ equal steps.</summary>
    public double? StepSize { get; }

    private ConstantSteps(int stepsPerLayer, double? stepSize) => (StepsPerLayer, StepSize) = (stepsPerLayer, stepSize);

    /// <summary>m equal steps on every layer.</summary>
    public static ConstantSteps PerLayer(int steps = 1) =>
        steps >= 1 ? new(steps, null) : throw new ArgumentOutOfRangeException(nameof(steps), "at least one step per layer");

    /// <summary>Steps of size at most h.</summary>
    public static ConstantSteps OfSize(double h) =>
        h > 0 && double.IsFinite(h) ? new(1, h) : throw new ArgumentOutOfRangeException(nameof(h), "step size must be positive");

    /// <inheritdoc/>
    public bool IsAdaptive => false;
    /// <inheritdoc/>
    public double RelativeTolerance => double.NaN;
    /// <inheritdoc/>
    public double AbsoluteTolerance => double.NaN;
    /// <summary>Most steps of one solve (default 100 000, as for <see cref="PIController"/>).</summary>
    public int MaxSteps { get; init; } = DefaultMaxSteps;

    /// <summary>The default step limit of a solve.</summary>
    public const int DefaultMaxSteps = 100_000;

    /// <summary>The number of steps a solve over the given pieces [t₀, t₁, …] takes.</summary>
    public long StepsFor(IReadOnlyList<double> breakpoints)
    {
        long total = 0;
        for (int i = 0; i + 1 < breakpoints.Count; i++)
        {
            double span = Math.Abs(breakpoints[i + 1] - breakpoints[i]);
            if (span == 0) continue;
            total += StepSize is { } h ? (long)Math.Max(1, Math.Ceiling(Math.Min(span / h - 1e-9, long.MaxValue / 4.0))) : StepsPerLayer;
        }
        return total;
    }

    /// <inheritdoc/>
    public bool NeedsInitialEstimate(double previous) => false;

    /// <inheritdoc/>
    public double FirstStep(double t0, double t1, double previous, double estimate)
    {
        double span = t1 - t0;
        int n = StepSize is { } h ? Math.Max(1, (int)Math.Ceiling(Math.Abs(span) / h - 1e-9)) : StepsPerLayer;
        return span / n;
    }

    /// <inheritdoc/>
    public StepDecision Decide(double h, double errorNorm, ControllerMemory memory, int errorOrder) => new(true, h, memory);

    /// <inheritdoc/>
    public double MinimumStep(double t) => 0;
}
