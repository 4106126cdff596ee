using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Trainers;

/// <summary>
/// Adversarial training (Madry et al.): each mini-batch is replaced by its adversarial examples under the current
/// model, x̃ = attack(x), and J(x̃) is minimised — the inner maximisation of the saddle problem
/// inf_θ E sup_{‖ξ‖_q ≤ 1} ℓ(x₀ + εξ) solved approximately by the attack (usually <see cref="Pgd"/>; with
/// <see cref="Fgsm"/> it is Goodfellow et al.'s FGSM training). The attack draws its random numbers from the seed the
/// trainer derives for the batch, so runs are reproducible. The reported loss and accuracy are on the clean batch.
/// </summary>
/// <param name="Attack">The attack that makes the training examples.</param>
/// <remarks>Madry, Makelov, Schmidt, Tsipras &amp; Vladu, "Towards deep learning models resistant to adversarial attacks", ICLR 2018.</remarks>
public sealed record AdversarialObjective(IAttack Attack) : ITrainingObjective
{
    public string Name => "adversarial";

    public Fin<ITrainingObjective> Validate() => Attack switch
    {
        Pgd pgd => pgd.Validate().Map(_ => (ITrainingObjective)this),
        Fgsm fgsm => fgsm.Validate().Map(_ => (ITrainingObjective)this),
        _ => this,
    };

    public Fin<ObjectiveResult> Evaluate(IBlock model, Tensor x, ILoss loss, ObjectiveContext context) =>
        Attack.WithSeed(context.Seed).Perturb(model, x, loss).Bind(adversarial =>
            LossDerivatives.Gradient(model, adversarial, loss).Bind(g =>
                Inference.Output(model, x).Map(logits =>
                    new ObjectiveResult(loss.PerSample(logits).mean().to(ScalarType.Float64).item<double>(), g.Loss, g.ControlGradients, logits))));

    public string Describe() => Attack switch
    {
        Pgd p => FormattableString.Invariant(
            $"adversarial(pgd(epsilon={p.Epsilon:R}, q={p.Norm}, steps={p.Steps}, stepSize={p.StepSize:R}, randomStart={p.RandomStart}, restarts={p.Restarts}, box={p.Box?.ToString() ?? "none"}))"),
        Fgsm f => FormattableString.Invariant($"adversarial(fgsm(epsilon={f.Epsilon:R}, q={f.Norm}, box={f.Box?.ToString() ?? "none"}))"),
        var a => FormattableString.Invariant($"adversarial({a.Name}(epsilon={a.Epsilon:R}, q={a.Norm}))"),
    };
}
