namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// How long a timing measures, the same in .NET and in the PyTorch scripts: each computation first runs alone until
/// it has run <paramref name="MinWarmUpRuns"/> times and for <paramref name="WarmUpSeconds"/> (so that .NET's tiered
/// JIT runs tier-1 code and libtorch's allocations have settled), then interleaved rounds run every computation once
/// each; their number fills about <paramref name="RoundSeconds"/> of measuring, between <paramref name="MinRounds"/>
/// and <paramref name="MaxRounds"/>. In a round, a computation's sample is a run of consecutive calls lasting at least
/// <paramref name="SampleMilliseconds"/> (one call when a call lasts that long), and its time per call is the sample's
/// time divided by the calls: as BenchmarkDotNet's iterations, and as a training loop makes its gradients, one after the
/// other — a single call after the other computations finds caches and predictors filled by them, which costs a
/// computation of a fraction of a millisecond a large part of its time.
/// </summary>
internal sealed record TimingPlan(int MinWarmUpRuns, double WarmUpSeconds, double RoundSeconds, int MinRounds, int MaxRounds,
    double SampleMilliseconds = 0)
{
    /// <summary>
    /// The measuring plan: about a second of warm-up per computation, about five seconds of rounds (7 to 31), samples of
    /// at least 50 ms.
    /// </summary>
    public static TimingPlan Standard { get; } = new(3, 1.0, 5.0, 7, 31, 50);

    /// <summary>For smoke tests: one warm-up run and three rounds (the numbers mean nothing).</summary>
    public static TimingPlan Quick { get; } = new(1, 0.0, 0.0, 3, 3);

    /// <summary>Consecutive calls in a sample of a computation whose call typically takes <paramref name="typicalMilliseconds"/>.</summary>
    public int CallsPerSample(double typicalMilliseconds) =>
        SampleMilliseconds <= 0 || typicalMilliseconds >= SampleMilliseconds ? 1
        : (int)Math.Min(10_000, Math.Ceiling(SampleMilliseconds / Math.Max(typicalMilliseconds, 1e-3)));

    /// <summary>Rounds for a round that takes the given time.</summary>
    public int Rounds(double roundSeconds) =>
        Math.Clamp(roundSeconds > 0 ? (int)Math.Ceiling(RoundSeconds / roundSeconds) : MaxRounds, MinRounds, MaxRounds);

    /// <summary>The plan as the PyTorch scripts read it.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["minWarmUpRuns"] = MinWarmUpRuns, ["warmUpSeconds"] = WarmUpSeconds, ["roundSeconds"] = RoundSeconds,
        ["minRounds"] = MinRounds, ["maxRounds"] = MaxRounds, ["sampleMilliseconds"] = SampleMilliseconds,
    };
}
