using RobustNode.Solvers.Integration;

namespace RobustNode.Sensitivity.Problems;

/// <summary>
/// The first-order result: J = mean ℓᵢ, its gradient with respect to every control, and the per-sample
/// input sensitivity p(0) whose row i is ∇_{x₀ᵢ} ℓᵢ (so ∇_{x₀} J = p(0)/B).
/// </summary>
public sealed record LossGradient<T>(
    double Loss,
    IReadOnlyList<T> ControlGradients,
    T InputSensitivity,
    T FinalState,
    SolveStatistics Statistics);
