namespace RobustNode.Solvers.Integration;

/// <summary>What a solve records besides the final state.</summary>
/// <param name="SaveAt">Times t₀ ≤ tᵢ ≤ t_end (in the direction of integration) whose states are returned, by dense output.</param>
/// <param name="Dense">Keep the dense output of every accepted step.</param>
public sealed record SolveOptions(IReadOnlyList<double>? SaveAt = null, bool Dense = false)
{
    /// <summary>Final state only.</summary>
    public static SolveOptions Default { get; } = new();
}
