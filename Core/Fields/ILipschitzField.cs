using RobustNode.Core.Tableaux;

namespace RobustNode.Core.Fields;

/// <summary>
/// A field that knows a bound of its Lipschitz constant in the state, layer by layer, in the ℓ2 norm — and from it a
/// bound of one explicit Runge–Kutta step, the factor an ODE block contributes to a network's Lipschitz bound. The
/// default step bound runs the stage recurrence (<see cref="RungeKuttaLipschitz"/>); fields with a sharper argument
/// (the gradient-flow steps) override it.
/// </summary>
public interface ILipschitzField
{
    /// <summary>L_k with ‖g(u_k, t, x) − g(u_k, t, y)‖₂ ≤ L_k ‖x − y‖₂ for every t of layer k and all x, y.</summary>
    double LipschitzConstant(int layer);

    /// <summary>A bound of the ℓ2 Lipschitz constant of one step x ↦ x + h Σ bᵢkᵢ of the tableau on layer k.</summary>
    double StepBound(int layer, ButcherTableau tableau, double h) => RungeKuttaLipschitz.StepBound(tableau, h, LipschitzConstant(layer));
}

/// <summary>
/// The Lipschitz bound of an explicit Runge–Kutta step of a field with Lipschitz constant L: the stages differ by
/// ‖kᵢ(x) − kᵢ(y)‖ ≤ Kᵢ‖x − y‖ with Kᵢ = L (1 + h Σⱼ&lt;ᵢ |aᵢⱼ| Kⱼ), so the step x + h Σ bᵢkᵢ is
/// (1 + h Σ |bᵢ| Kᵢ)-Lipschitz. For Euler this is 1 + hL; for any tableau it is at most e^{c·hL} for a constant c.
/// </summary>
internal static class RungeKuttaLipschitz
{
    /// <summary>1 + h Σ |bᵢ| Kᵢ with Kᵢ = L (1 + h Σⱼ&lt;ᵢ |aᵢⱼ| Kⱼ).</summary>
    public static double StepBound(ButcherTableau tableau, double h, double lipschitz)
    {
        int s = tableau.Stages;
        var k = new double[s];
        double bound = 1;
        for (int i = 0; i < s; i++)
        {
            double stage = 1;
            for (int j = 0; j < i; j++) stage += h * Math.Abs(tableau.A[i, j]) * k[j];
            k[i] = lipschitz * stage;
            bound += h * Math.Abs(tableau.B[i]) * k[i];
        }
        return bound;
    }

    /// <summary>
    /// The step bound of a gradient-flow layer ∓Aᵀσ(Ax + b) with L = L_σ‖A‖₂²: for Euler max(1, hL − 1) on contractive
    /// layers (cocoercivity of the gradient) and 1 + hL on expansive ones; for other tableaux the stage recurrence.
    /// </summary>
    public static double GradientStepBound(ButcherTableau tableau, double h, double lipschitz, FlowDirection direction)
    {
        if (!IsEuler(tableau)) return StepBound(tableau, h, lipschitz);
        return direction == FlowDirection.Contractive ? Math.Max(1, h * lipschitz - 1) : 1 + h * lipschitz;
    }

    /// <summary>True for explicit Euler (one stage, b = [1]): x ↦ x + h g(x).</summary>
    public static bool IsEuler(ButcherTableau tableau) => tableau.Stages == 1 && tableau.B[0] == 1;
}
