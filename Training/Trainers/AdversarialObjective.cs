using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Trainers;

/// <summary>
/// Adversarial training (Madry et al.): each mini-batch is replaced by its adversarial examples under the current
/// model, x̃ = attack(x), and J(x̃) is minimised — the inner maximisation of the saddle problem
/// inf_θ E sup_{‖ξ‖_q ≤ 1} ℓ(x₀ + εξ) solved approximately by the attack (usually <see cref="Pgd"/>; with
/// <see cref="Fgsm"/> it is Goodfellow et al.'s FGSM training). The attack draws its random numbers from the seed the
/// trainer derives for the batch, so runs are reproducible. The reported loss and accuracy are on the clean batch.
/// The radius can ramp up linearly over the first epochs, ε_e = ε · min(1, e / K): epoch 0 is then standard
/// training, a warm start without which PGD training of image networks from scratch can stall at chance.
/// </summary>
/// <param name="Attack">The attack that makes the training examples.</param>
/// <remarks>Madry, Makelov, Schmidt, Tsipras &amp; Vladu, "Towards deep learning models resistant to adversarial attacks", ICLR 2018.</remarks>
public sealed record AdversarialObjective(IAttack Attack) : ITrainingObjective
{
    /// <inheritdoc/>
    public string Name => "adversarial";

    /// <summary>Warm-up length K in epochs: the radius grows linearly from 0 at epoch 0 to ε at epoch K (0: no warm-up).</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>The attack radius used in a given epoch (0-based): ε · min(1, e / K).</summary>
    internal double EpsilonAt(int epoch) => Warmup.Ramp(Attack.Epsilon, epoch, WarmupEpochs);

    /// <inheritdoc/>
    public Fin<ITrainingObjective> Validate() =>
        WarmupEpochs < 0
            ? TrainingErrors.InvalidConfiguration("objective.warmupEpochs", $"must be non-negative, got {WarmupEpochs}")
            : Attack switch
            {
                Pgd pgd => pgd.Validate().Map(_ => (ITrainingObjective)this),
                Fgsm fgsm => fgsm.Validate().Map(_ => (ITrainingObjective)this),
                _ => this,
            };

    /// <inheritdoc/>
    public Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context)
    {
        double epsilon = EpsilonAt(context.Epoch);
        return epsilon == 0 ? new StandardObjective().Evaluate(model, x, loss, context) : Attacked(model, x, loss, context, epsilon);
    }

    private Fin<ObjectiveResult<T>> Attacked<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context, double epsilon) =>
        Attack.WithEpsilon(epsilon).WithSeed(context.Seed).Perturb(model, x, loss).Bind(adversarial =>
            LossDerivatives.ControlGradient(model, adversarial, loss).Bind(g =>
                Inference.Output(model, x).Map(logits =>
                    new ObjectiveResult<T>(model.Engine.Mean(loss.PerSample(logits)), g.Loss, g.ControlGradients, logits))));

    /// <inheritdoc/>
    public string Describe() => WarmupEpochs == 0 ? DescribeAttack() : FormattableString.Invariant($"{DescribeAttack()[..^1]}, warmupEpochs={WarmupEpochs})");

    private string DescribeAttack() => Attack switch
    {
        Pgd p => FormattableString.Invariant(
            $"adversarial(pgd(epsilon={p.Epsilon:R}, q={p.Norm}, steps={p.Steps}, stepSize={p.StepSize:R}, randomStart={p.RandomStart}, restarts={p.Restarts}, box={p.Box?.ToString() ?? "none"}))"),
        Fgsm f => FormattableString.Invariant($"adversarial(fgsm(epsilon={f.Epsilon:R}, q={f.Norm}, box={f.Box?.ToString() ?? "none"}))"),
        var a => FormattableString.Invariant($"adversarial({a.Name}(epsilon={a.Epsilon:R}, q={a.Norm}))"),
    };
}
