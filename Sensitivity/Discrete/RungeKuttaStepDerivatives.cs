using RobustNode.Core.Fields;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Problems;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Discrete;

/// <summary>
/// Exact derivatives of one explicit Runge–Kutta step Φ: x ↦ x + h Σ bᵢ Kᵢ, Kᵢ = g(u_k, t + cᵢh, Xᵢ),
/// Xᵢ = x + h Σⱼ&lt;ᵢ aᵢⱼ Kⱼ, propagated through the stages with the field's local derivatives (no graph
/// across steps). DESIGN §1, "Discrete (exact) versions".
/// </summary>
internal static class RungeKuttaStepDerivatives
{
    /// <summary>True when a later stage's argument depends on stage i (some aⱼᵢ ≠ 0, j &gt; i).</summary>
    private static bool FeedsLaterStages(ButcherTableau tab, int i)
    {
        for (int j = i + 1; j < tab.Stages; j++)
            if (tab.A[j, i] != 0) return true;
        return false;
    }

    /// <summary>Stage arguments Xᵢ of the step from x (a stage value Kᵢ is evaluated only when a later stage needs it).</summary>
    public static Tensor[] Stages(ButcherTableau tab, IVectorField field, int layer, double t, double h, Tensor x)
    {
        int s = tab.Stages;
        var xs = new Tensor[s];
        var ks = new Tensor?[s];
        for (int i = 0; i < s; i++)
        {
            var xi = x;
            for (int j = 0; j < i; j++)
                if (tab.A[i, j] != 0) xi = xi.add(ks[j]!, h * tab.A[i, j]);
            xs[i] = xi;
            if (FeedsLaterStages(tab, i)) ks[i] = field.Evaluate(layer, t + tab.C[i] * h, xs[i]);
        }
        return xs;
    }

    /// <summary>Tangents of the stage arguments Ẋᵢ for a state tangent σ: Ẋᵢ = σ + h Σ aᵢⱼ K̇ⱼ, K̇ᵢ = g_x(Xᵢ) Ẋᵢ.</summary>
    public static (Tensor[] XDot, Tensor?[] KDot) StageTangents(ButcherTableau tab, IVectorField field, int layer, double t, double h,
        Tensor[] xs, Tensor sigma, IReadOnlyList<Tensor>? eta = null, bool forStepTangent = true)
    {
        int s = tab.Stages;
        var xd = new Tensor[s];
        var kd = new Tensor?[s];
        for (int i = 0; i < s; i++)
        {
            var v = sigma;
            for (int j = 0; j < i; j++)
                if (tab.A[i, j] != 0) v = v.add(kd[j]!, h * tab.A[i, j]);
            xd[i] = v;
            if (!FeedsLaterStages(tab, i) && !(forStepTangent && tab.B[i] != 0)) continue;
            var ti = t + tab.C[i] * h;
            kd[i] = field.Jvp(layer, ti, xs[i], v);
            if (eta is not null) kd[i] = kd[i].add(field.ControlJvp(layer, ti, xs[i], eta));
        }
        return (xd, kd);
    }

    /// <summary>Forward sensitivity of the step: σ' = Φ_x σ + Φ_u η.</summary>
    public static Tensor Tangent(ButcherTableau tab, IVectorField field, int layer, double t, double h, Tensor x, Tensor sigma,
        IReadOnlyList<Tensor>? eta = null)
    {
        using var scope = NewDisposeScope();
        var xs = Stages(tab, field, layer, t, h, x);
        var (_, kd) = StageTangents(tab, field, layer, t, h, xs, sigma, eta);
        var result = sigma.clone();
        for (int i = 0; i < tab.Stages; i++)
            if (tab.B[i] != 0) result.add_(kd[i]!, h * tab.B[i]);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Reverse sweep of the step: λ = Φ_xᵀ λ' and ū += Φ_uᵀ λ', through the stages:
    /// K̄ᵢ = h bᵢ λ' + h Σⱼ&gt;ᵢ aⱼᵢ X̄ⱼ, (X̄ᵢ, ūᵢ) = (g_xᵀ K̄ᵢ, g_uᵀ K̄ᵢ) at Xᵢ, λ = λ' + Σ X̄ᵢ.
    /// </summary>
    public static Tensor Reverse(ButcherTableau tab, IVectorField field, int layer, double t, double h, Tensor x, Tensor lambdaNext,
        ControlAccumulator? gradient)
    {
        using var scope = NewDisposeScope();
        var xs = Stages(tab, field, layer, t, h, x);
        int s = tab.Stages;
        var xbar = new Tensor?[s];
        var lambda = lambdaNext.clone();
        for (int i = s - 1; i >= 0; i--)
        {
            var kbar = KBar(tab, h, i, lambdaNext, xbar);
            if (kbar is null) continue;
            var cot = field.Vjp(layer, t + tab.C[i] * h, xs[i], kbar);
            xbar[i] = cot.State;
            lambda.add_(cot.State);
            gradient?.Add(layer, cot.Controls);
        }
        return lambda.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The tangent of the reverse sweep along a state tangent σ (forward-over-reverse), together with the
    /// reverse sweep itself: λ = Φ_xᵀλ', μ = Φ_xᵀμ' + ∂ₓ(Φ_xᵀλ')·σ, and
    /// ū₁ += Φ_uᵀλ', ū₂ += Φ_uᵀμ' + ∂ₓ(Φ_uᵀλ')·σ. Stage by stage:
    /// K̄̇ᵢ = h bᵢ μ' + h Σⱼ&gt;ᵢ aⱼᵢ X̄̇ⱼ, X̄̇ᵢ = g_xᵀK̄̇ᵢ + ∂ₓ(g_xᵀK̄ᵢ)·Ẋᵢ, ū̇ += g_uᵀK̄̇ᵢ + ∂ₓ(g_uᵀK̄ᵢ)·Ẋᵢ.
    /// </summary>
    public static (Tensor Lambda, Tensor Mu) SecondOrderReverse(ButcherTableau tab, IVectorField field, int layer, double t, double h,
        Tensor x, Tensor sigma, Tensor lambdaNext, Tensor muNext, ControlAccumulator firstOrder, ControlAccumulator secondOrder)
    {
        using var scope = NewDisposeScope();
        var xs = Stages(tab, field, layer, t, h, x);
        var (xd, _) = StageTangents(tab, field, layer, t, h, xs, sigma, forStepTangent: false);
        int s = tab.Stages;
        var xbar = new Tensor?[s];
        var xbarDot = new Tensor?[s];
        var lambda = lambdaNext.clone();
        var mu = muNext.clone();
        for (int i = s - 1; i >= 0; i--)
        {
            var kbar = KBar(tab, h, i, lambdaNext, xbar);
            if (kbar is null) continue;
            var kbarDot = KBar(tab, h, i, muNext, xbarDot)!;
            var (cot, cotDot) = field.SecondOrderReverse(layer, t + tab.C[i] * h, xs[i], kbar, kbarDot, xd[i]);
            xbar[i] = cot.State;
            xbarDot[i] = cotDot.State;
            lambda.add_(cot.State);
            mu.add_(cotDot.State);
            firstOrder.Add(layer, cot.Controls);
            secondOrder.Add(layer, cotDot.Controls);
        }
        return (lambda.MoveToOuterDisposeScope(), mu.MoveToOuterDisposeScope());
    }

    // K̄ᵢ = h bᵢ λ' + h Σⱼ>ᵢ aⱼᵢ X̄ⱼ; null when stage i does not influence y₁.
    private static Tensor? KBar(ButcherTableau tab, double h, int i, Tensor next, Tensor?[] xbar)
    {
        Tensor? k = tab.B[i] != 0 ? next.mul(h * tab.B[i]) : null;
        for (int j = i + 1; j < tab.Stages; j++)
        {
            if (tab.A[j, i] == 0 || xbar[j] is null) continue;
            k = k is null ? xbar[j]!.mul(h * tab.A[j, i]) : k.add_(xbar[j]!, h * tab.A[j, i]);
        }
        return k;
    }
}
