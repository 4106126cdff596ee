using RobustNode.Sensitivity.Problems;

namespace RobustNode.Benchmarks.Engines;

/// <summary>
/// An engine RobustNode's own computations (solves, adjoints) can run on in a benchmark: its name as the
/// <c>--engine</c> option and the JSON rows spell it, what it is, and how a benchmark problem built with TorchSharp
/// tensors is moved onto it. An engine without <paramref name="OnEngine"/> is listed but not available yet; the
/// benchmarks say so and measure the others.
/// </summary>
/// <param name="Name">The engine's name (<c>torch</c>, <c>managed</c>).</param>
/// <param name="Description">One line for the reports.</param>
/// <param name="OnEngine">The same problem on this engine (the identity for TorchSharp); null while the engine does not exist.</param>
/// <param name="Unavailable">Why the engine cannot be measured yet (shown when it is asked for).</param>
internal sealed record BenchmarkEngine(string Name, string Description, Func<SensitivityProblem, SensitivityProblem>? OnEngine, string? Unavailable = null)
{
    public bool Available => OnEngine is not null;

    /// <summary>The problem moved onto this engine; an unavailable engine is a bug in the caller, which filters them out first.</summary>
    public SensitivityProblem Prepare(SensitivityProblem problem) =>
        OnEngine is { } move ? move(problem) : throw new InvalidOperationException($"engine '{Name}' is not available: {Unavailable}");
}
