namespace RobustNode.Sensitivity.Problems;

/// <summary>
/// The second-order result for the augmented loss 𝒥 = mean ᵢ[ℓᵢ + ε‖∇_{x₀ᵢ}ℓᵢ‖_{q*}]: its value and control
/// gradient, alongside J, ∇_u J and p(0) from the same sweeps.
/// </summary>
public sealed record AugmentedGradient<T>(
    double AugmentedLoss,
    IReadOnlyList<T> AugmentedControlGradients,
    LossGradient<T> FirstOrder);
