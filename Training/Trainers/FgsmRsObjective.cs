using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Trainers;

/// <summary>
/// Fast adversarial training (Wong et al.): J at the FGSM-with-random-start example of each sample, J(x̃) = mean ℓᵢ(x̃ᵢ) with
/// x̃ = clip_box(x + Π_ε(δ⁰ + α ∇φ(p(x + δ⁰)))), δ⁰ uniform in the ε-ball and α = 1.25 ε (their choice). x̃ is held fixed
/// (the attack is not differentiated), so the gradient is one first-order adjoint at x̃. Two forward and reverse sweeps per
/// batch, plus a forward pass at x for the reported clean loss and accuracy (as for PGD training). The start comes from
/// the batch's seed. A warm-up ramps ε (and α with it) linearly from 0: epoch 0 is then standard training.
/// </summary>
/// <param name="Epsilon">The radius ε of the attack ball (in the network's input units).</param>
/// <param name="Norm">The attack norm q (∇φ: sign for ℓ∞, the normalised gradient for ℓ₂, the largest entry's sign for ℓ₁).</param>
/// <remarks>Wong, Rice &amp; Kolter, "Fast is better than free: revisiting adversarial training", ICLR 2020.</remarks>
public sealed record FgsmRsObjective(double Epsilon, AttackNorm Norm) : IRobustObjective
{
    /// <summary>The step α; null (the default) means α = 1.25 ε.</summary>
    public double? StepSize { get; init; }

    /// <summary>Warm-up length K in epochs: ε grows linearly from 0 at epoch 0 to its value at epoch K (0: none).</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>The valid input box the examples are clipped to, or null for none.</summary>
    public InputBox? Box { get; init; }

    /// <inheritdoc/>
    public string Name => "fgsm-rs";

    /// <summary>The step α used: <see cref="StepSize"/> or 1.25 ε.</summary>
    public double Step => StepSize ?? 1.25 * Epsilon;

    /// <summary>The objective as it trains in an epoch (0-based): ε and α times min(1, e / K), no further warm-up.</summary>
    internal FgsmRsObjective AtEpoch(int epoch)
    {
        double f = Warmup.Ramp(1, epoch, WarmupEpochs);
        return this with { Epsilon = f * Epsilon, StepSize = f * Step, WarmupEpochs = 0 };
    }

    /// <inheritdoc/>
    public Fin<ITrainingObjective> Validate() => ObjectiveChecks.Collect(this, Problems());

    private IEnumerable<Error> Problems() =>
        ObjectiveChecks.Radius(Epsilon).Concat(ObjectiveChecks.StepSize(StepSize)).Concat(ObjectiveChecks.Schedule(WarmupEpochs, Box));

    /// <inheritdoc/>
    public Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context)
    {
        var current = AtEpoch(context.Epoch);
        if (current.Epsilon == 0) return new StandardObjective().Evaluate(model, x, loss, context);
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return current.EvaluateFrom(model, x, loss, Perturbations.Uniform(engine, Norm, current.Epsilon, x, context.Seed)).Map(r => r.Keep(engine));
    }

    /// <summary>The objective and its gradient from a given random start δ⁰ [B, …] (projected onto the ε-ball): deterministic.</summary>
    public Fin<ObjectiveResult<T>> EvaluateFrom<T>(IBlock<T> model, T x, ILoss<T> loss, T start) =>
        Example(model, x, loss, start).Bind(adversary => At(model, x, loss, adversary));

    /// <summary>The FGSM-with-random-start example x̃ of x from the start δ⁰.</summary>
    internal Fin<T> Example<T>(IBlock<T> model, T x, ILoss<T> loss, T start) =>
        ObjectiveChecks.Inputs(model, x, loss, Box).Bind(_ => RandomStartFgsm.Example(model, x, loss, start, Epsilon, Step, Norm, Box));

    /// <summary>J(x̃) and ∇_θ J(x̃) at a fixed example x̃, with the clean loss and logits of x.</summary>
    internal static Fin<ObjectiveResult<T>> At<T>(IBlock<T> model, T x, ILoss<T> loss, T adversary)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return LossDerivatives.ControlGradient(model, adversary, loss).Bind(g =>
            Inference.Output(model, x).Map(logits =>
                new ObjectiveResult<T>(engine.Mean(loss.PerSample(logits)), g.Loss, g.ControlGradients, logits).Keep(engine)));
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant(
        $"fgsm-rs(epsilon={Epsilon:R}, q={Norm}, stepSize={Step:R}, warmupEpochs={WarmupEpochs}, box={Box?.ToString() ?? "none"})");
}
