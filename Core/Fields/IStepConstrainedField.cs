namespace RobustNode.Core.Fields;

/// <summary>
/// A field whose layers keep a rule tying the step size to their controls (the gradient-flow layers:
/// h·sup σ'·‖Aₖ‖₂² ≤ c, <see cref="GradientFlowStepRule"/>): it can say how far each layer is from the rule for a
/// step size, and project its controls back onto the rule in place — after every optimizer step of a training run.
/// </summary>
public interface IStepConstrainedField
{
    /// <summary>For steps of size h: per layer, the constrained quantity and its bound.</summary>
    IReadOnlyList<StepRuleCheck> Check(double stepSize);

    /// <summary>
    /// Projects the controls of every layer, in place, so that steps of size h keep the rule, measuring ‖Aₖ‖₂ as asked:
    /// <see cref="ConstraintNorm.Proven"/> guarantees the rule afterwards; <see cref="ConstraintNorm.Tracked"/> may use a
    /// cheaper estimate carried from call to call (fields whose norm is cheap use the proven one for both).
    /// </summary>
    void Constrain(double stepSize, ConstraintNorm norm = ConstraintNorm.Proven);
}

/// <summary>How a projection onto a step rule measures the spectral norm.</summary>
public enum ConstraintNorm
{
    /// <summary>The exact norm or a proven upper bound: the rule holds afterwards.</summary>
    Proven,
    /// <summary>
    /// An estimate from below carried from one projection to the next (power iteration warm-started at the last
    /// call's vector): cheap enough for every optimizer step; a proven projection at epoch boundaries restores the rule
    /// exactly and resets what was carried.
    /// </summary>
    Tracked,
}

/// <summary>One layer against its step rule: h·sup σ'·‖Aₖ‖₂² (<paramref name="Value"/>) and its bound c.</summary>
/// <param name="Layer">The layer k.</param>
/// <param name="Direction">Contractive or expansive.</param>
/// <param name="Value">h·sup σ'·‖Aₖ‖₂².</param>
/// <param name="Budget">The bound c of the rule.</param>
public sealed record StepRuleCheck(int Layer, FlowDirection Direction, double Value, double Budget)
{
    /// <summary>True when the layer keeps the rule (up to rounding: the value is exact to about 1e-15 relative).</summary>
    public bool Holds => Value <= Budget * (1 + 1e-12);
}
