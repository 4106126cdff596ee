using LanguageExt;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Networks;
using static TorchSharp.torch;

namespace RobustNode.Training.Trainers;

/// <summary>
/// Standard training: minimise J = mean ℓᵢ, with ∇_θ J from the network's adjoint sweeps
/// (<see cref="LossDerivatives.Gradient"/>).
/// </summary>
public sealed record StandardObjective : ITrainingObjective
{
    public string Name => "standard";

    public Fin<ITrainingObjective> Validate() => this;

    public Fin<ObjectiveResult> Evaluate(IBlock model, Tensor x, ILoss loss, ObjectiveContext context) =>
        LossDerivatives.Gradient(model, x, loss).Map(g => new ObjectiveResult(g.Loss, g.Loss, g.ControlGradients, g.FinalState));

    public string Describe() => "standard";
}
