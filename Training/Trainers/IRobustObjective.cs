using LanguageExt;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Networks;

namespace RobustNode.Training.Trainers;

/// <summary>
/// A robust objective that draws one random perturbation per mini-batch from the batch's seed (<see cref="ObjectiveContext.Seed"/>):
/// a random start (FGSM with random start, LLR, the augmented loss at an adversarial point), a uniform point of the ball
/// (GradAlign's η) or Gaussian noise (TRADES' start). Given that draw, the objective is deterministic:
/// <see cref="EvaluateFrom{T}"/> computes it from a perturbation supplied by the caller — a problem file, a test.
/// </summary>
public interface IRobustObjective : ITrainingObjective
{
    /// <summary>
    /// The objective and its parameter gradient on the batch x [B, …] with the loss bound to its labels, from the given random
    /// draw (shaped like x), at the objective's full settings (no warm-up). Values belong to the caller's engine scope.
    /// </summary>
    Fin<ObjectiveResult<T>> EvaluateFrom<T>(IBlock<T> model, T x, ILoss<T> loss, T perturbation);
}
