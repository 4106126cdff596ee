using System.Text.Json.Serialization;

namespace RobustNode.Host.Schemas;

/// <summary>What <c>solve</c> writes: <c>{ "engine", "xT": [B][d], "stats": { … } }</c>.</summary>
/// <param name="Engine">The engine that computed it ("torch", "managed").</param>
/// <param name="XT">The final states x(T) [B][d].</param>
/// <param name="Stats">The work done.</param>
internal sealed record SolveFile(string Engine, [property: JsonPropertyName("xT")] TensorValues XT, SolveStatsJson Stats);

/// <summary>
/// The work of a solve: <c>{ "functionEvaluations", "acceptedSteps", "rejectedSteps", "wallTimeMs" }</c>, and for
/// <c>sensitivity</c> also <c>peakMemoryBytes</c> (the process's peak working set).
/// </summary>
internal sealed record SolveStatsJson(
    int FunctionEvaluations,
    int AcceptedSteps,
    int RejectedSteps,
    double WallTimeMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? PeakMemoryBytes = null);
