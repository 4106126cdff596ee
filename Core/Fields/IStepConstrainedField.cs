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

    /// <summary>Projects the controls of every layer, in place, so that steps of size h keep the rule.</summary>
    void Constrain(double stepSize);
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
