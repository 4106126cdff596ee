using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Problems;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Trainers;

/// <summary>
/// TRADES (Zhang et al.): J(x) + β mean ᵢ KL(softmax f(xᵢ) ‖ softmax f(x′ᵢ)), the loss at the clean batch plus the divergence
/// of the class distributions at an adversarial point x′. x′ comes from PGD on the divergence with f(x) held fixed, as in the
/// authors' code: x′ = x + 0.001 ξ (ξ standard normal), then K steps x′ ← clip_box(x + Π_ε(x′ − x + α ∇φ(∇_{x′} KL))).
/// x′ is held fixed; the gradient runs through both f(x) and f(x′): one first-order adjoint at each, with terminal
/// cotangents (1/B)[∇ℓ(z) + β ∇_z KL] at z = f(x) and (β/B)(softmax f(x′) − softmax f(x)) at f(x′). The model's outputs are
/// the class logits.
/// </summary>
/// <param name="Epsilon">The radius ε of the attack ball (in the network's input units).</param>
/// <param name="Norm">The attack norm q of the ball and of the ascent direction ∇φ.</param>
/// <remarks>
/// Zhang, Yu, Jiao, Xing, El Ghaoui &amp; Jordan, "Theoretically principled trade-off between robustness and accuracy",
/// ICML 2019. Their CIFAR-10 setting is β = 6, 10 steps of α = 0.007 at ε = 0.031; on MNIST β = 1, 40 steps of 0.01 at
/// ε = 0.3. The default step here is this project's PGD step 2.5 ε / K, so TRADES and PGD training attack alike.
/// </remarks>
public sealed record TradesObjective(double Epsilon, AttackNorm Norm) : IRobustObjective
{
    /// <summary>The weight β of the divergence (default 6, the paper's CIFAR-10 value).</summary>
    public double Weight { get; init; } = 6;

    /// <summary>PGD steps K on the divergence (default 10).</summary>
    public int Steps { get; init; } = 10;

    /// <summary>The step α; null (the default) means α = 2.5 ε / K.</summary>
    public double? StepSize { get; init; }

    /// <summary>The standard deviation of the Gaussian start around x (0.001 in the authors' code).</summary>
    public double StartScale { get; init; } = 0.001;

    /// <summary>Warm-up length K in epochs: ε, α and β grow linearly from 0 at epoch 0 to their values at epoch K (0: none).</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>The valid input box x′ is clipped to, or null for none.</summary>
    public InputBox? Box { get; init; }

    /// <inheritdoc/>
    public string Name => "trades";

    /// <summary>The step α used: <see cref="StepSize"/> or 2.5 ε / K.</summary>
    public double Step => StepSize ?? 2.5 * Epsilon / Math.Max(Steps, 1);

    /// <summary>The objective as it trains in an epoch (0-based): ε, α and β times min(1, e / K), no further warm-up.</summary>
    internal TradesObjective AtEpoch(int epoch)
    {
        double f = Warmup.Ramp(1, epoch, WarmupEpochs);
        return this with { Epsilon = f * Epsilon, StepSize = f * Step, Weight = f * Weight, WarmupEpochs = 0 };
    }

    /// <inheritdoc/>
    public Fin<ITrainingObjective> Validate() => ObjectiveChecks.Collect(this, Problems());

    private IEnumerable<Error> Problems()
    {
        foreach (var e in ObjectiveChecks.Radius(Epsilon)) yield return e;
        foreach (var e in ObjectiveChecks.Weight("weight", Weight)) yield return e;
        foreach (var e in ObjectiveChecks.Steps(Steps, StepSize)) yield return e;
        foreach (var e in ObjectiveChecks.Weight("startScale", StartScale)) yield return e;
        foreach (var e in ObjectiveChecks.Schedule(WarmupEpochs, Box)) yield return e;
    }

    /// <inheritdoc/>
    public Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context)
    {
        var current = AtEpoch(context.Epoch);
        if (current.Epsilon == 0 || current.Weight == 0) return new StandardObjective().Evaluate(model, x, loss, context);
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return current.EvaluateFrom(model, x, loss, Perturbations.Gaussian(engine, StartScale, x, context.Seed)).Map(r => r.Keep(engine));
    }

    /// <summary>The objective and its gradient from a given start x′ = x + δ⁰ of the attack: deterministic.</summary>
    public Fin<ObjectiveResult<T>> EvaluateFrom<T>(IBlock<T> model, T x, ILoss<T> loss, T start) =>
        Adversary(model, x, loss, start).Bind(adversary => At(model, x, loss, adversary, Weight));

    /// <summary>The adversarial point x′: K projected steepest-ascent steps on KL(softmax f(x) ‖ softmax f(x′)) from x + δ⁰.</summary>
    internal Fin<T> Adversary<T>(IBlock<T> model, T x, ILoss<T> loss, T start)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return ObjectiveChecks.Inputs(model, x, loss, Box).Bind(_ => Inference.Output(model, x)).Bind(target =>
        {
            var divergence = new KullbackLeiblerLoss<T>(engine, target);
            var adversary = engine.Add(x, start);
            for (int k = 0; k < Steps; k++)
            {
                using var step = engine.OpenScope();
                var sensitivity = LossDerivatives.InputSensitivity(model, adversary, divergence);
                if (sensitivity.IsFail) return sensitivity;
                adversary = engine.Keep(Perturbations.Step(engine, x, adversary, (T)sensitivity, Step, Norm, Epsilon, Box));
            }
            return FinSucc(engine.Keep(adversary));
        });
    }

    /// <summary>
    /// J(x) + β mean KL(softmax f(x) ‖ softmax f(x′)) and its gradient at a fixed adversarial point x′, through both f(x)
    /// and f(x′) (one forward and one reverse sweep at each).
    /// </summary>
    internal static Fin<ObjectiveResult<T>> At<T>(IBlock<T> model, T x, ILoss<T> loss, T adversary, double weight)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        double scale = 1.0 / engine.BatchSize(x);
        var values = new double[2];
        return LossDerivatives.PenaltyGradient(model, [x, adversary], loss, (outputs, _) =>
        {
            var (z, w) = (outputs[0], outputs[1]);
            values[0] = engine.Mean(loss.PerSample(z));
            values[1] = engine.Mean(KullbackLeibler.Divergence(engine, z, w));
            var clean = engine.Add(loss.Gradient(z), KullbackLeibler.FirstGradient(engine, z, w), weight);
            engine.ScaleInPlace(clean, scale);
            return [PenaltyTerms<T>.OfOutput(clean), PenaltyTerms<T>.OfOutput(engine.Scale(KullbackLeibler.SecondGradient(engine, z, w), weight * scale))];
        }, sensitivities: false).Map(g =>
            new ObjectiveResult<T>(values[0], values[0] + weight * values[1], g.Gradients, g.FinalStates[0]).Keep(engine));
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant(
        $"trades(epsilon={Epsilon:R}, q={Norm}, weight={Weight:R}, steps={Steps}, stepSize={Step:R}, startScale={StartScale:R}, warmupEpochs={WarmupEpochs}, box={Box?.ToString() ?? "none"})");
}
