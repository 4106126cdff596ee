namespace RobustNode.Solvers.Stepping;

/// <summary>
/// What one Runge–Kutta step hands out (nothing is mutated): the new state, the local error estimate
/// h Σ (bᵢ − b̂ᵢ) Kᵢ (default without an embedded method), f(t₁, y₁) when the scheme is FSAL, and
/// the mid-point value used by the quartic dense output. A value type: a step allocates nothing of its own.
/// </summary>
internal readonly record struct StepResult<T>(T Y1, T? Error, T? F1, T? YMid, int Evaluations);
