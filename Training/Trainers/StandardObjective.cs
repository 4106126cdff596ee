using LanguageExt;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Networks;

namespace RobustNode.Training.Trainers;

/// <summary>
/// Standard training: minimise J = mean ℓᵢ, with ∇_θ J from the network's adjoint sweeps
/// (<see cref="LossDerivatives.Gradient{T}"/>).
/// </summary>
public sealed record StandardObjective : ITrainingObjective
{
    /// <inheritdoc/>
    public string Name => "standard";

    /// <inheritdoc/>
    public Fin<ITrainingObjective> Validate() => this;

    /// <inheritdoc/>
    public Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context) =>
        LossDerivatives.ControlGradient(model, x, loss).Map(g => new ObjectiveResult<T>(g.Loss, g.Loss, g.ControlGradients, g.FinalState));

    /// <inheritdoc/>
    public string Describe() => "standard";
}
