using RobustNode.Solvers.Integration;

namespace RobustNode.Sensitivity.Problems;

/// <summary>
/// The control gradient of a function Ψ of the outputs x⁽ᵃ⁾(T) and input sensitivities p⁽ᵃ⁾(0) of a block at several input
/// batches x⁽ᵃ⁾ (DESIGN §5), with the cotangents Ψ chose (<see cref="PenaltyTerms{T}"/>) held fixed:
/// ∇_u Ψ = Σₐ [∇_u Σᵢ⟨vᵢ⁽ᵃ⁾, pᵢ⁽ᵃ⁾(0)⟩ + ∇_u Σᵢ⟨cᵢ⁽ᵃ⁾, xᵢ⁽ᵃ⁾(T)⟩]. No mean is taken: the cotangents carry whatever
/// scaling Ψ has.
/// </summary>
/// <param name="FinalStates">x⁽ᵃ⁾(T), one per input batch.</param>
/// <param name="InputSensitivities">p⁽ᵃ⁾(0) (row i is ∇_{x₀ᵢ}ℓᵢ), one per input batch; empty when they were not asked for.</param>
/// <param name="Gradients">∇_u Ψ, one value per parameter of the block.</param>
/// <param name="Statistics">The work of every sweep.</param>
public sealed record PenaltyGradient<T>(
    IReadOnlyList<T> FinalStates,
    IReadOnlyList<T> InputSensitivities,
    IReadOnlyList<T> Gradients,
    SolveStatistics Statistics);
