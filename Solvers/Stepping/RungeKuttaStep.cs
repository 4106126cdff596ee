using RobustNode.Core.Tableaux;
using RobustNode.Core.Engines;
using RobustNode.Solvers.Engines;

namespace RobustNode.Solvers.Stepping;

/// <summary>
/// The one generic explicit Runge–Kutta step that runs every tableau:
/// Kᵢ = f(t + cᵢh, y + h Σⱼ&lt;ᵢ aᵢⱼKⱼ), y₁ = y + h Σ bᵢKᵢ.
/// </summary>
public static class RungeKuttaStep
{
    /// <summary>One step from (t, y) with K₁ = f₀ = f(t, y) already known.</summary>
    public static StepResult<T> Take<T>(ButcherTableau tableau, IStateAlgebra<T> algebra, Func<double, T, T> f,
        double t, T y, T f0, double h, bool wantMidpoint = false)
    {
        int s = tableau.Stages;
        var k = new T[s];
        k[0] = f0;
        Span<double> w = stackalloc double[s];
        T y1 = default!;
        for (int i = 1; i < s; i++)
        {
            for (int j = 0; j < i; j++) w[j] = h * tableau.A[i, j];
            var yi = algebra.AddScaled(y, w[..i], k.AsSpan(0, i));
            k[i] = f(t + tableau.C[i] * h, yi);
            // FSAL: the last stage's argument is y₁ itself.
            if (tableau.IsFsal && i == s - 1) y1 = yi;
        }
        if (!tableau.IsFsal)
        {
            for (int j = 0; j < s; j++) w[j] = h * tableau.B[j];
            y1 = algebra.AddScaled(y, w, k);
        }
        T? error = default;
        if (tableau.ErrorWeights is { } e)
        {
            for (int j = 0; j < s; j++) w[j] = h * e[j];
            error = algebra.LinearCombination(w, k);
        }
        T? mid = default;
        if (wantMidpoint && tableau.MidpointWeights is { } m)
        {
            for (int j = 0; j < s; j++) w[j] = h * m[j];
            mid = algebra.AddScaled(y, w, k);
        }
        return new StepResult<T>(y1, error, tableau.IsFsal ? k[s - 1] : default, mid, s - 1);
    }
}
