using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Robust;

namespace RobustNode.Training.Trainers;

/// <summary>
/// The augmented loss at an adversarial point: mean ᵢ [ℓᵢ(x̃ᵢ) + w ‖∇ₓℓᵢ(x̃ᵢ)‖_{q*}] with x̃ the FGSM-with-random-start example
/// of x (Wong et al.'s step α = 1.25 ε from a uniform start; held fixed). Where the augmented loss flattens the loss at the
/// data, this flattens it where an attack lands. The gradient is the seed talk's second-order adjoint at x̃
/// (<see cref="LossDerivatives.AugmentedControlGradient{T}"/>: forward, reverse, tangent and second-order reverse sweeps), never
/// double backpropagation; the start costs one forward and reverse sweep, the reported clean loss and accuracy one forward
/// pass at x.
/// </summary>
/// <param name="Epsilon">The radius ε of the attack ball (the default penalty weight).</param>
/// <param name="Norm">The attack norm q; the penalty uses its dual q*.</param>
/// <remarks>
/// Wöhrer &amp; Zuazua (the seed talk, Proposition 1) for the augmented loss; Wong, Rice &amp; Kolter, "Fast is better than
/// free: revisiting adversarial training", ICLR 2020, for the random-start FGSM example.
/// </remarks>
public sealed record AugmentedAdversarialObjective(double Epsilon, AttackNorm Norm) : IRobustObjective
{
    /// <summary>The penalty weight w; null (the default) means w = ε.</summary>
    public double? Weight { get; init; }

    /// <summary>The FGSM step α; null (the default) means α = 1.25 ε.</summary>
    public double? StepSize { get; init; }

    /// <summary>Warm-up length K in epochs: ε, α and w grow linearly from 0 at epoch 0 to their values at epoch K (0: none).</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>The valid input box the examples are clipped to, or null for none.</summary>
    public InputBox? Box { get; init; }

    /// <inheritdoc/>
    public string Name => "augmented-adversarial";

    /// <summary>The penalty weight used: <see cref="Weight"/> or ε.</summary>
    public double PenaltyWeight => Weight ?? Epsilon;

    /// <summary>The FGSM step used: <see cref="StepSize"/> or 1.25 ε.</summary>
    public double Step => StepSize ?? 1.25 * Epsilon;

    /// <summary>The objective as it trains in an epoch (0-based): ε, α and w times min(1, e / K), no further warm-up.</summary>
    internal AugmentedAdversarialObjective AtEpoch(int epoch)
    {
        double f = Warmup.Ramp(1, epoch, WarmupEpochs);
        return this with { Epsilon = f * Epsilon, StepSize = f * Step, Weight = f * PenaltyWeight, WarmupEpochs = 0 };
    }

    /// <inheritdoc/>
    public Fin<ITrainingObjective> Validate() => ObjectiveChecks.Collect(this, Problems());

    private IEnumerable<Error> Problems()
    {
        foreach (var e in ObjectiveChecks.Radius(Epsilon)) yield return e;
        if (Weight is { } w) foreach (var e in ObjectiveChecks.Weight("weight", w)) yield return e;
        foreach (var e in ObjectiveChecks.StepSize(StepSize)) yield return e;
        foreach (var e in ObjectiveChecks.Schedule(WarmupEpochs, Box)) yield return e;
    }

    /// <inheritdoc/>
    public Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context)
    {
        var current = AtEpoch(context.Epoch);
        if (current.Epsilon == 0 && current.PenaltyWeight == 0) return new StandardObjective().Evaluate(model, x, loss, context);
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return current.EvaluateFrom(model, x, loss, Perturbations.Uniform(engine, Norm, current.Epsilon, x, context.Seed)).Map(r => r.Keep(engine));
    }

    /// <summary>The objective and its gradient from a given random start δ⁰ [B, …] (projected onto the ε-ball): deterministic.</summary>
    public Fin<ObjectiveResult<T>> EvaluateFrom<T>(IBlock<T> model, T x, ILoss<T> loss, T start) =>
        Example(model, x, loss, start).Bind(adversary => At(model, x, loss, adversary, new AugmentedLoss(PenaltyWeight, Norm)));

    /// <summary>The FGSM-with-random-start example x̃ of x from the start δ⁰.</summary>
    internal Fin<T> Example<T>(IBlock<T> model, T x, ILoss<T> loss, T start) =>
        ObjectiveChecks.Inputs(model, x, loss, Box).Bind(_ => RandomStartFgsm.Example(model, x, loss, start, Epsilon, Step, Norm, Box));

    /// <summary>The augmented loss and its gradient at a fixed example x̃, with the clean loss and logits of x.</summary>
    internal static Fin<ObjectiveResult<T>> At<T>(IBlock<T> model, T x, ILoss<T> loss, T adversary, AugmentedLoss augmented)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return LossDerivatives.AugmentedControlGradient(model, adversary, loss, augmented).Bind(a =>
            Inference.Output(model, x).Map(logits =>
                new ObjectiveResult<T>(engine.Mean(loss.PerSample(logits)), a.AugmentedLoss, a.AugmentedControlGradients, logits).Keep(engine)));
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant(
        $"augmented-adversarial(epsilon={Epsilon:R}, q={Norm}, weight={PenaltyWeight:R}, stepSize={Step:R}, warmupEpochs={WarmupEpochs}, box={Box?.ToString() ?? "none"})");
}
