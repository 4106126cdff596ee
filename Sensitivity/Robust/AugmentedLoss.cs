using RobustNode.Core.Norms;

namespace RobustNode.Sensitivity.Robust;

/// <summary>
/// The augmented loss 𝒥(u) = mean ᵢ [ℓᵢ + ε ‖∇_{x₀ᵢ} ℓᵢ‖_{q*}] (seed talk, Proposition 1): the first-order
/// expansion of the worst-case loss over the attack ball ‖ξ‖_q ≤ ε.
/// </summary>
/// <param name="Epsilon">Penalty weight ε (the attack radius for the first-order bound of the worst-case loss).</param>
/// <param name="Norm">The attack norm q; the penalty uses its dual q*.</param>
public sealed record AugmentedLoss(double Epsilon, AttackNorm Norm);
