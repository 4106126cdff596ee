namespace RobustNode.Sensitivity.Problems;

/// <summary>
/// The derivatives of a penalty Ψ of the input sensitivities by the four sweeps of DESIGN §5: for each input batch
/// x⁽ᵃ⁾ its first-order result (J, ∇_u J, p(0), x(T)), the seeds v⁽ᵃ⁾ = ∂Ψ/∂p⁽ᵃ⁾(0) the penalty chose, and
/// ∇_u Σₐ Σᵢ ⟨vᵢ⁽ᵃ⁾, pᵢ⁽ᵃ⁾(0)⟩ with the seeds held fixed — by the chain rule the control gradient of Ψ through the input
/// sensitivities. Add ∂Ψ/∂u of any explicit dependence and scale as the objective does (the penalty gradients are sums
/// over the batch, like p(0)'s rows).
/// </summary>
/// <param name="Inputs">Per input batch: J = mean ℓᵢ, ∇_u J (mean over the batch), p(0), x(T) and the work done for it.</param>
/// <param name="Seeds">The seeds v⁽ᵃ⁾, shaped like the inputs.</param>
/// <param name="PenaltyGradients">∇_u Σₐ Σᵢ ⟨vᵢ⁽ᵃ⁾, pᵢ⁽ᵃ⁾(0)⟩, one value per model parameter.</param>
public sealed record SeededGradient<T>(
    IReadOnlyList<LossGradient<T>> Inputs,
    IReadOnlyList<T> Seeds,
    IReadOnlyList<T> PenaltyGradients);
