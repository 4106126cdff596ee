namespace RobustNode.Core.Fields;

/// <summary>
/// The step-size rule of gradient-flow layers x' = s·Aₖᵀσ(Aₖx + bₖ): an explicit Euler step of size h on layer k keeps
/// h·L_σ·‖Aₖ‖₂² ≤ c (L_σ = sup σ'), with c = <see cref="Contractive"/> on contractive layers and c =
/// <see cref="Expansive"/> on expansive ones. Then a contractive step is non-expansive when c ≤ 2 — and α-averaged when
/// c ≤ 2α — and an expansive step has Lipschitz constant at most 1 + c, so a block with n_e expansive layers has bound
/// (1 + c)^{n_e}.
/// </summary>
/// <remarks>
/// <para>The contractive step is x − h∇V(x) with V convex and ∇V L-Lipschitz (L = L_σ‖A‖²); by Baillon–Haddad ∇V is
/// 1/L-cocoercive, so ‖Φx − Φy‖² ≤ ‖x − y‖² − h(2/L − h)‖∇Vx − ∇Vy‖², which is at most ‖x − y‖² for hL ≤ 2 and at
/// most (hL − 1)²‖x − y‖² beyond; and x − h∇V = (1 − α)I + α(I − (2/L)∇V) with α = hL/2 (Bauschke &amp; Combettes 2017,
/// Corollary 18.17 and Proposition 4.39).</para>
/// <para>Celledoni et al. 2023 (SIAM J. Sci. Comput. 45(6), §4) alternate such contractive and expansive steps under a
/// restriction of the step sizes that keeps the composition's bound; the rule here keeps a chosen bound Λ of a block
/// by giving each of its n_e expansive layers the same share, c = Λ^{1/n_e} − 1 (<see cref="ForBlockBound"/>), the
/// contractive layers contributing a factor 1.</para>
/// </remarks>
/// <param name="Contractive">The bound c of h·L_σ·‖A‖² on contractive layers, in (0, 2].</param>
/// <param name="Expansive">The bound c of h·L_σ·‖A‖² on expansive layers, positive.</param>
public sealed record GradientFlowStepRule(double Contractive = 2, double Expansive = 1)
{
    /// <summary>How training keeps the rule: projection (the default) or spectral normalisation.</summary>
    public StepRuleEnforcement Enforcement { get; init; } = StepRuleEnforcement.Projection;

    /// <summary>Non-expansive contractive steps (c = 2) and expansive steps of bound 2 each (c = 1).</summary>
    public static GradientFlowStepRule Default { get; } = new();

    /// <summary>The bound c of the given direction.</summary>
    public double Budget(FlowDirection direction) => direction == FlowDirection.Contractive ? Contractive : Expansive;

    /// <summary>
    /// The rule that keeps a block's Lipschitz bound at most <paramref name="blockBound"/> (Λ ≥ 1) with the given number of
    /// expansive layers: each gets c = Λ^{1/n_e} − 1 (no expansive layers: the default). Contractive layers keep c = 2.
    /// </summary>
    public static GradientFlowStepRule ForBlockBound(double blockBound, int expansiveLayers) =>
        expansiveLayers == 0 ? Default : new GradientFlowStepRule(2, Math.Pow(blockBound, 1.0 / expansiveLayers) - 1);

    /// <summary>Reasons the rule is invalid (empty when valid), each naming the value.</summary>
    public IEnumerable<string> Problems()
    {
        if (!(Contractive > 0 && Contractive <= 2)) yield return $"the contractive step bound must lie in (0, 2], got {Contractive}";
        if (!(Expansive > 0) || !double.IsFinite(Expansive)) yield return $"the expansive step bound must be positive and finite, got {Expansive}";
    }
}
