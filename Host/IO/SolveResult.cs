using RobustNode.Host.Schemas;
using RobustNode.Solvers.Integration;

namespace RobustNode.Host.IO;

/// <summary>
/// What the <c>solve</c> verb writes (<see cref="SolveFile"/>): <c>{ "engine", "xT": [B][d], "stats": { "functionEvaluations",
/// "acceptedSteps", "rejectedSteps", "wallTimeMs" } }</c>.
/// </summary>
internal sealed record SolveResult(double[,] XT, SolveStatistics Statistics, double WallTimeMs, string Engine)
{
    /// <summary>The result as its schema record.</summary>
    public SolveFile File() => new(Engine, TensorValues.Of(XT),
        new SolveStatsJson(Statistics.FunctionEvaluations, Statistics.AcceptedSteps, Statistics.RejectedSteps, Math.Round(WallTimeMs, 3)));

    /// <summary>The result as indented UTF-8 JSON (numbers in shortest round-trip form).</summary>
    public byte[] ToJson() => JsonFiles.Write(File(), JsonFiles.Default.SolveFile);
}
