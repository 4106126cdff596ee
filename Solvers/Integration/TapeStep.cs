namespace RobustNode.Solvers.Integration;

/// <summary>
/// One accepted step as the discrete adjoint needs it: the interval (layer) it belongs to, its start time and (signed)
/// size, and the state it started from. The step tape of a solve is the list of these; the derivative sweeps rebuild
/// each step's stages from it, so a solve that records the tape keeps one state per step and no slopes.
/// </summary>
public readonly record struct TapeStep<T>(int Piece, double T0, double H, T Y0);
