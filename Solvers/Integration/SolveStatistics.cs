namespace RobustNode.Solvers.Integration;

/// <summary>Work done by a solve.</summary>
public sealed record SolveStatistics(int FunctionEvaluations, int AcceptedSteps, int RejectedSteps)
{
    /// <summary>No work.</summary>
    public static SolveStatistics Zero { get; } = new(0, 0, 0);

    /// <summary>The work of two solves together (counts added).</summary>
    public static SolveStatistics operator +(SolveStatistics a, SolveStatistics b) =>
        new(a.FunctionEvaluations + b.FunctionEvaluations, a.AcceptedSteps + b.AcceptedSteps, a.RejectedSteps + b.RejectedSteps);

    /// <summary>The work done between two snapshots of running counts (counts subtracted).</summary>
    public static SolveStatistics operator -(SolveStatistics a, SolveStatistics b) =>
        new(a.FunctionEvaluations - b.FunctionEvaluations, a.AcceptedSteps - b.AcceptedSteps, a.RejectedSteps - b.RejectedSteps);
}
