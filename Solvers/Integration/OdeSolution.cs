using RobustNode.Solvers.Dense;

namespace RobustNode.Solvers.Integration;

/// <summary>
/// The result of a solve: the final state, the states at the requested times, the work done and, if asked, the dense
/// output and the step tape.
/// </summary>
public sealed record OdeSolution<T>(T Final, IReadOnlyList<T> Saved, SolveStatistics Statistics, DenseSolution<T>? Dense,
    IReadOnlyList<TapeStep<T>>? Tape = null);
