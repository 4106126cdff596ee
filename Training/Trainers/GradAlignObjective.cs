using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;

namespace RobustNode.Training.Trainers;

/// <summary>
/// GradAlign (Andriushchenko &amp; Flammarion): FGSM training plus the gradient-alignment penalty,
/// J(x̃) + λ mean ᵢ [1 − cos(pᵢ(x), pᵢ(x + ηᵢ))], with x̃ = clip_box(x + ε ∇φ(p(x))) the FGSM example, p the per-sample input
/// gradient ∇ₓℓᵢ and η uniform in the ε-ball (x + η clipped to the box like every perturbed input here). x̃ and η are held
/// fixed. The penalty's control gradient comes from the second-order adjoint (DESIGN §5): seeds v = ∂Ψ/∂p at x and at
/// x + η, one tangent and one second-order reverse sweep each (<see cref="LossDerivatives.SeededGradient{T}(IBlock{T}, IReadOnlyList{T}, ILoss{T}, Func{IReadOnlyList{T}, IReadOnlyList{T}})"/>),
/// never double backpropagation; J(x̃) adds one first-order adjoint. The FGSM direction is p(x), which the penalty
/// computes anyway.
/// </summary>
/// <param name="Epsilon">The radius ε of the attack ball (in the network's input units).</param>
/// <param name="Norm">The attack norm q of the ball and of the FGSM direction ∇φ.</param>
/// <remarks>
/// <para>Andriushchenko &amp; Flammarion, "Understanding and improving fast adversarial training", NeurIPS 2020. As in their
/// code, FGSM starts at x (no random step, so the step is ε), the cosine compares the gradients at x and at a uniform point
/// of the ball, and samples where either gradient is zero are left out of the mean (no sample: no penalty). Their
/// CIFAR-10 weight at ε = 8/255 is λ = 0.2, growing with ε.</para>
/// <para>With a = pᵢ(x), b = pᵢ(x + η) and c = ⟨a, b⟩ / (‖a‖‖b‖): ∂(1 − c)/∂a = −(b / (‖a‖‖b‖) − c a / ‖a‖²), and
/// symmetrically for b.</para>
/// </remarks>
public sealed record GradAlignObjective(double Epsilon, AttackNorm Norm) : IRobustObjective
{
    /// <summary>The weight λ of the alignment penalty (default 0.2, the authors' CIFAR-10 value at ε = 8/255).</summary>
    public double Weight { get; init; } = 0.2;

    /// <summary>Warm-up length K in epochs: ε and λ grow linearly from 0 at epoch 0 to their values at epoch K (0: none).</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>The valid input box the perturbed inputs are clipped to, or null for none.</summary>
    public InputBox? Box { get; init; }

    /// <inheritdoc/>
    public string Name => "gradalign";

    /// <summary>The objective as it trains in an epoch (0-based): ε and λ times min(1, e / K), no further warm-up.</summary>
    internal GradAlignObjective AtEpoch(int epoch)
    {
        double f = Warmup.Ramp(1, epoch, WarmupEpochs);
        return this with { Epsilon = f * Epsilon, Weight = f * Weight, WarmupEpochs = 0 };
    }

    /// <inheritdoc/>
    public Fin<ITrainingObjective> Validate() => ObjectiveChecks.Collect(this, Problems());

    private IEnumerable<Error> Problems() =>
        ObjectiveChecks.Radius(Epsilon).Concat(ObjectiveChecks.Weight("weight", Weight)).Concat(ObjectiveChecks.Schedule(WarmupEpochs, Box));

    /// <inheritdoc/>
    public Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context)
    {
        var current = AtEpoch(context.Epoch);
        if (current.Epsilon == 0) return new StandardObjective().Evaluate(model, x, loss, context);
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return current.EvaluateFrom(model, x, loss, Perturbations.Uniform(engine, Norm, current.Epsilon, x, context.Seed)).Map(r => r.Keep(engine));
    }

    /// <summary>The objective and its gradient for a given η [B, …] (projected onto the ε-ball): deterministic.</summary>
    public Fin<ObjectiveResult<T>> EvaluateFrom<T>(IBlock<T> model, T x, ILoss<T> loss, T eta)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return ObjectiveChecks.Inputs(model, x, loss, Box)
            .Bind(_ => Evaluate(model, x, loss, Perturbations.Start(engine, x, eta, Norm, Epsilon, Box),
                p => Perturbations.Clip(engine, engine.Add(x, engine.DualNormGradient(Norm, p), Epsilon), Box), Weight))
            .Map(r => r.Keep(engine));
    }

    /// <summary>The objective and its gradient at fixed points: the FGSM example x̃ and the noisy input x + η.</summary>
    internal static Fin<ObjectiveResult<T>> At<T>(IBlock<T> model, T x, ILoss<T> loss, T adversary, T noisy, double weight)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return Evaluate(model, x, loss, noisy, _ => adversary, weight).Map(r => r.Keep(engine));
    }

    // The penalty's seeded sweeps at x and x + η give p(x), hence x̃; then J(x̃) by one first-order adjoint.
    private static Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, T noisy, Func<T, T> adversary, double weight)
    {
        var engine = model.Engine;
        double penalty = 0;
        return LossDerivatives.SeededGradient(model, [x, noisy], loss, p =>
            {
                var (seeds, value) = Seeds(engine, p[0], p[1], weight);
                penalty = value;
                return seeds;
            })
            .Bind(seeded => LossDerivatives.ControlGradient(model, adversary(seeded.Inputs[0].InputSensitivity), loss).Map(fgsm =>
            {
                var gradients = new T[fgsm.ControlGradients.Count];
                for (int j = 0; j < gradients.Length; j++) gradients[j] = engine.Add(fgsm.ControlGradients[j], seeded.PenaltyGradients[j]);
                var clean = seeded.Inputs[0];
                return new ObjectiveResult<T>(clean.Loss, fgsm.Loss + penalty, gradients, clean.FinalState);
            }));
    }

    /// <summary>The penalty λ mean over the aligned samples of (1 − cos(aᵢ, bᵢ)) and its seeds ∂/∂a, ∂/∂b.</summary>
    internal static (T[] Seeds, double Value) Seeds<T>(IEngine<T> engine, T a, T b, double weight)
    {
        var ab = SampleValues.Dot(engine, a, b);
        var aa = SampleValues.Dot(engine, a, a);
        var bb = SampleValues.Dot(engine, b, b);
        int batch = ab.Length, count = 0;
        for (int i = 0; i < batch; i++) if (aa[i] > 0 && bb[i] > 0) count++;
        var (aFromB, aFromA, bFromA, bFromB) = (new double[batch], new double[batch], new double[batch], new double[batch]);
        double value = 0;
        for (int i = 0; i < batch; i++)
        {
            if (!(aa[i] > 0 && bb[i] > 0)) continue;
            double na = Math.Sqrt(aa[i]), nb = Math.Sqrt(bb[i]), cos = ab[i] / (na * nb), w = weight / count;
            value += w * (1 - cos);
            aFromB[i] = -w / (na * nb);
            aFromA[i] = w * cos / aa[i];
            bFromA[i] = -w / (na * nb);
            bFromB[i] = w * cos / bb[i];
        }
        var seedA = engine.Add(SampleValues.ScaleRows(engine, b, aFromB), SampleValues.ScaleRows(engine, a, aFromA));
        var seedB = engine.Add(SampleValues.ScaleRows(engine, a, bFromA), SampleValues.ScaleRows(engine, b, bFromB));
        return ([seedA, seedB], value);
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant(
        $"gradalign(epsilon={Epsilon:R}, q={Norm}, weight={Weight:R}, warmupEpochs={WarmupEpochs}, box={Box?.ToString() ?? "none"})");
}
