using RobustNode.Solvers.Integration;

namespace RobustNode.Sensitivity.Problems;

/// <summary>
/// Forward sensitivity: the tangent δx(T) of the final state along (δx₀, η), and the directional derivative
/// of J = mean ℓᵢ, ⟨∇J, (δx₀, η)⟩ = mean ᵢ ⟨∇ℓᵢ(x(T)), δxᵢ(T)⟩.
/// </summary>
public sealed record TangentResult<T>(T FinalTangent, double DirectionalDerivative, SolveStatistics Statistics);
