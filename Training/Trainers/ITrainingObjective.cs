using LanguageExt;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Networks;

namespace RobustNode.Training.Trainers;

/// <summary>
/// What a training step minimises, as a strategy value the <see cref="Trainer"/> is given:
/// <see cref="StandardObjective"/> (J), <see cref="AugmentedObjective"/> (𝒥 = J + w‖∇ₓ₀ℓ‖_{q*}) or
/// <see cref="AdversarialObjective"/> (J at attacked inputs). Given the model, a mini-batch and its loss, it returns
/// the objective's value and its gradient with respect to every model parameter, on the model's engine.
/// </summary>
public interface ITrainingObjective
{
    /// <summary>Name used in reports: "standard", "augmented", "adversarial".</summary>
    string Name { get; }

    /// <summary>Checks the settings, reporting every problem at once.</summary>
    Fin<ITrainingObjective> Validate();

    /// <summary>
    /// The objective on one mini-batch x [b, n] with the loss bound to its labels, and its gradient with respect to
    /// <see cref="IBlock{T}.Parameters"/> (same order and shapes). Values belong to the caller's engine scope.
    /// </summary>
    Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context);

    /// <summary>A canonical description of every setting (for configuration fingerprints).</summary>
    string Describe();
}

/// <summary>Where a step happens: the epoch (0-based), the batch within it, and the seed derived for it (e.g. PGD's random start).</summary>
public sealed record ObjectiveContext(int Epoch, int Batch, long Seed);

/// <summary>
/// One evaluation of an objective on a mini-batch.
/// </summary>
/// <param name="Loss">J = mean ℓᵢ on the clean batch.</param>
/// <param name="Objective">The value minimised (J, 𝒥, or J at the attacked batch).</param>
/// <param name="Gradients">∇_θ of the objective, one value per model parameter.</param>
/// <param name="Logits">The model's outputs on the clean batch (for the running training accuracy).</param>
public sealed record ObjectiveResult<T>(double Loss, double Objective, IReadOnlyList<T> Gradients, T Logits);
