namespace RobustNode.Core.Fields;

/// <summary>How training keeps gradient-flow layers on their step rule h·L_σ·‖A_k‖₂² ≤ c.</summary>
public enum StepRuleEnforcement
{
    /// <summary>
    /// After every optimizer step, a layer above the rule is brought back onto it (its singular values clipped, or the
    /// matrix rescaled by a tracked estimate of ‖A_k‖₂); a layer inside the rule is left alone.
    /// </summary>
    Projection,
    /// <summary>
    /// Spectral normalisation: the layer is A ↦ ρA/‖A‖₂ of a free matrix, ρ the rule's radius, so every layer sits on the
    /// rule's boundary and the optimizer follows the gradient through the normalisation — for convex potential layers
    /// the step h = 2/‖A‖₂² of Meunier et al. 2022 (Miyato et al. 2018 for the normalisation). The free matrix is kept at
    /// norm ρ, so the layer is the matrix itself.
    /// </summary>
    Normalisation,
}
