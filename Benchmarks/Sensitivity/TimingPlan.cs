namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// How long a timing measures, the same in .NET and in the PyTorch scripts: each computation first runs alone until
/// it has run <paramref name="MinWarmUpRuns"/> times and for <paramref name="WarmUpSeconds"/> (so that .NET's tiered
/// JIT runs tier-1 code and libtorch's allocations have settled), then interleaved rounds run every computation once
/// each; their number fills about <paramref name="RoundSeconds"/> of measuring, between <paramref name="MinRounds"/>
/// and <paramref name="MaxRounds"/>.
/// </summary>
internal sealed record TimingPlan(int MinWarmUpRuns, double WarmUpSeconds, double RoundSeconds, int MinRounds, int MaxRounds)
{
    /// <summary>The measuring plan: about a second of warm-up per computation, about five seconds of rounds (7 to 31).</summary>
    public static TimingPlan Standard { get; } = new(3, 1.0, 5.0, 7, 31);

    /// <summary>For smoke tests: one warm-up run and three rounds (the numbers mean nothing).</summary>
    public static TimingPlan Quick { get; } = new(1, 0.0, 0.0, 3, 3);

    /// <summary>Rounds for a round that takes the given time.</summary>
    public int Rounds(double roundSeconds) =>
        Math.Clamp(roundSeconds > 0 ? (int)Math.Ceiling(RoundSeconds / roundSeconds) : MaxRounds, MinRounds, MaxRounds);

    /// <summary>The plan as the PyTorch scripts read it.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["minWarmUpRuns"] = MinWarmUpRuns, ["warmUpSeconds"] = WarmUpSeconds, ["roundSeconds"] = RoundSeconds,
        ["minRounds"] = MinRounds, ["maxRounds"] = MaxRounds,
    };
}
