namespace RobustNode.Core.Fields;

/// <summary>
/// A field whose controls are a reparametrisation of free parameters (<see cref="StepRuleEnforcement.Normalisation"/>):
/// it turns the gradient of a loss with respect to its controls, as the adjoint sweeps give it, into the gradient with
/// respect to the free parameters at the current point.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public interface IReparametrisedField<T>
{
    /// <summary>∂J/∂(free parameters) from ∂J/∂(controls), one per control, in the order of the field's controls.</summary>
    IReadOnlyList<T> FreeParameterGradients(IReadOnlyList<T> controlGradients);
}
