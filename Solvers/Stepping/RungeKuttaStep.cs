namespace RobustNode.Solvers.Stepping;

/// <summary>
/// The one generic explicit Runge–Kutta step that runs every tableau:
/// Kᵢ = f(t + cᵢh, y + h Σⱼ&lt;ᵢ aᵢⱼKⱼ), y₁ = y + h Σ bᵢKᵢ — the stage recurrence of <see cref="RungeKuttaStages{T}"/>
/// on the right-hand side, then the weighted sums of its slopes.
/// </summary>
internal static class RungeKuttaStep
{
    /// <summary>One step from (t, y) with K₁ = f₀ = f(t, y) already known, in the given stage workspace.</summary>
    public static StepResult<T> Take<T>(RungeKuttaStages<T> stages, IStageFunction<T> f, double t, T y, T f0, double h, bool wantMidpoint = false)
    {
        var tableau = stages.Tableau;
        int s = tableau.Stages;
        stages.Run(f, t, y, h, hasFirstSlope: true, f0);
        // FSAL: the last stage's argument is y₁ itself.
        T y1 = tableau.IsFsal ? stages.Argument(s - 1) : stages.Combine(y, h, tableau.B);
        T? error = tableau.ErrorWeights is { } e ? stages.Combination(h, e) : default;
        T? mid = wantMidpoint && tableau.MidpointWeights is { } m ? stages.Combine(y, h, m) : default;
        return new StepResult<T>(y1, error, tableau.IsFsal ? stages.Slope(s - 1) : default, mid, s - 1);
    }
}
