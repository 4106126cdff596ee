using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Robust;

namespace RobustNode.Training.Trainers;

/// <summary>
/// Robust training with the augmented loss of the seed talk (Proposition 1):
/// 𝒥 = mean ᵢ [ℓᵢ + w ‖∇_{x₀ᵢ} ℓᵢ‖_{q*}], the first-order expansion of the worst-case loss over the attack ball
/// ‖ξ‖_q ≤ ε when w = ε. Its gradient comes from the second-order adjoint (<see cref="LossDerivatives.AugmentedGradient{T}"/>:
/// forward, reverse, tangent and second-order reverse sweeps), never from double backpropagation.
/// The penalty weight can ramp up linearly from 0 over the first epochs: w_e = w · min(1, e / K).
/// </summary>
/// <param name="Epsilon">The attack radius ε the training defends against (the default penalty weight).</param>
/// <param name="Norm">The attack norm q; the penalty uses its dual q* (ℓ∞ attacks → 1-norm of the input gradient).</param>
public sealed record AugmentedObjective(double Epsilon, AttackNorm Norm) : ITrainingObjective
{
    /// <summary>The penalty weight w; null (the default) means w = ε.</summary>
    public double? Weight { get; init; }

    /// <summary>Warm-up length K in epochs: the weight grows linearly from 0 at epoch 0 to w at epoch K (0: no warm-up).</summary>
    public int WarmupEpochs { get; init; }

    /// <inheritdoc/>
    public string Name => "augmented";

    /// <summary>The full penalty weight w.</summary>
    public double PenaltyWeight => Weight ?? Epsilon;

    /// <summary>The penalty weight used in a given epoch (0-based): w · min(1, e / K).</summary>
    internal double WeightAt(int epoch) => Warmup.Ramp(PenaltyWeight, epoch, WarmupEpochs);

    /// <inheritdoc/>
    public Fin<ITrainingObjective> Validate() => TrainingErrors.All(Problems()).Map(_ => (ITrainingObjective)this);

    private IEnumerable<Error> Problems()
    {
        if (!(Epsilon >= 0) || !double.IsFinite(Epsilon)) yield return TrainingErrors.InvalidConfiguration("objective.epsilon", $"must be finite and non-negative, got {Epsilon}");
        if (Weight is { } w && (!(w >= 0) || !double.IsFinite(w))) yield return TrainingErrors.InvalidConfiguration("objective.weight", $"must be finite and non-negative, got {w}");
        if (WarmupEpochs < 0) yield return TrainingErrors.InvalidConfiguration("objective.warmupEpochs", $"must be non-negative, got {WarmupEpochs}");
    }

    /// <inheritdoc/>
    public Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context) =>
        LossDerivatives.AugmentedControlGradient(model, x, loss, new AugmentedLoss(WeightAt(context.Epoch), Norm))
            .Map(a => new ObjectiveResult<T>(a.FirstOrder.Loss, a.AugmentedLoss, a.AugmentedControlGradients, a.FirstOrder.FinalState));

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant(
        $"augmented(epsilon={Epsilon:R}, q={Norm}, weight={PenaltyWeight:R}, warmupEpochs={WarmupEpochs})");
}
