namespace RobustNode.Solvers.Integration;

/// <summary>What a solve records besides the final state.</summary>
/// <param name="SaveAt">Times t₀ ≤ tᵢ ≤ t_end (in the direction of integration) whose states are returned, by dense output.</param>
/// <param name="Dense">Keep the dense output of every accepted step.</param>
/// <param name="Tape">Keep the step tape: the start state, time, size and piece of every accepted step (<see cref="TapeStep{T}"/>).
/// Unlike dense output it costs no evaluation at the end of a piece and keeps no slopes.</param>
public sealed record SolveOptions(IReadOnlyList<double>? SaveAt = null, bool Dense = false, bool Tape = false)
{
    /// <summary>Final state only.</summary>
    public static SolveOptions Default { get; } = new();
}
