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
/// Local linearity regularisation (Qin et al.): J(x) + λ mean ᵢ |rᵢ| + μ mean ᵢ |δᵢᵀ pᵢ(x)| with the residual of the loss's
/// linear model rᵢ = ℓᵢ(x + δ) − ℓᵢ(x) − δᵢᵀ pᵢ(x), p the per-sample input gradient ∇ₓℓᵢ, and δ from a few projected
/// steepest-ascent steps on |r| from a uniform point of the ε-ball (held fixed). The terms in p(x) take their control
/// gradient from the second-order adjoint, seeded with v = (μ sign(δᵀp) − λ sign(r)) δ / B at x (DESIGN §5); the terms in
/// ℓ(x) and ℓ(x + δ) are first-order adjoints with per-sample weights (1 − λ sign rᵢ)/B and λ sign(rᵢ)/B, carried by the
/// same sweeps (<see cref="LossDerivatives.PenaltyGradient{T}"/>). Never double backpropagation.
/// </summary>
/// <param name="Epsilon">The radius ε of the ball δ lives in (in the network's input units).</param>
/// <param name="Norm">The attack norm q of the ball and of the ascent direction ∇φ.</param>
/// <remarks>
/// Qin, Martens, Gowal, Krishnan, Dvijotham, Fawzi, De, Stanforth &amp; Kohli, "Adversarial robustness through local
/// linearization", NeurIPS 2019. The ascent on g(δ) = |ℓ(x + δ) − ℓ(x) − δᵀ∇ₓℓ(x)| uses ∇_δ g = sign(r)(p(x + δ) − p(x)) and
/// this project's projected steepest-ascent step (sign steps for ℓ∞) of α = 2.5 ε / K; x + δ is clipped to the box.
/// </remarks>
public sealed record LlrObjective(double Epsilon, AttackNorm Norm) : IRobustObjective
{
    /// <summary>The weight λ of the local-linearity term mean |r| (default 4).</summary>
    public double LinearityWeight { get; init; } = 4;

    /// <summary>The weight μ of the gradient term mean |δᵀ∇ₓℓ| (default 3).</summary>
    public double GradientWeight { get; init; } = 3;

    /// <summary>Ascent steps K on |r| (default 2).</summary>
    public int Steps { get; init; } = 2;

    /// <summary>The step α; null (the default) means α = 2.5 ε / K.</summary>
    public double? StepSize { get; init; }

    /// <summary>Warm-up length K in epochs: ε, α, λ and μ grow linearly from 0 at epoch 0 to their values at epoch K (0: none).</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>The valid input box x + δ is clipped to, or null for none.</summary>
    public InputBox? Box { get; init; }

    /// <inheritdoc/>
    public string Name => "llr";

    /// <summary>The step α used: <see cref="StepSize"/> or 2.5 ε / K.</summary>
    public double Step => StepSize ?? 2.5 * Epsilon / Math.Max(Steps, 1);

    /// <summary>The objective as it trains in an epoch (0-based): ε, α, λ and μ times min(1, e / K), no further warm-up.</summary>
    internal LlrObjective AtEpoch(int epoch)
    {
        double f = Warmup.Ramp(1, epoch, WarmupEpochs);
        return this with
        {
            Epsilon = f * Epsilon, StepSize = f * Step, LinearityWeight = f * LinearityWeight, GradientWeight = f * GradientWeight, WarmupEpochs = 0,
        };
    }

    /// <inheritdoc/>
    public Fin<ITrainingObjective> Validate() => ObjectiveChecks.Collect(this, Problems());

    private IEnumerable<Error> Problems()
    {
        foreach (var e in ObjectiveChecks.Radius(Epsilon)) yield return e;
        foreach (var e in ObjectiveChecks.Weight("linearityWeight", LinearityWeight)) yield return e;
        foreach (var e in ObjectiveChecks.Weight("gradientWeight", GradientWeight)) yield return e;
        foreach (var e in ObjectiveChecks.Steps(Steps, StepSize)) yield return e;
        foreach (var e in ObjectiveChecks.Schedule(WarmupEpochs, Box)) yield return e;
    }

    /// <inheritdoc/>
    public Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context)
    {
        var current = AtEpoch(context.Epoch);
        if (current.Epsilon == 0) return new StandardObjective().Evaluate(model, x, loss, context);
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return current.EvaluateFrom(model, x, loss, Perturbations.Uniform(engine, Norm, current.Epsilon, x, context.Seed)).Map(r => r.Keep(engine));
    }

    /// <summary>The objective and its gradient from a given start δ⁰ [B, …] (projected onto the ε-ball): deterministic.</summary>
    public Fin<ObjectiveResult<T>> EvaluateFrom<T>(IBlock<T> model, T x, ILoss<T> loss, T start) =>
        Perturbed(model, x, loss, start).Bind(perturbed => At(model, x, loss, perturbed, LinearityWeight, GradientWeight));

    /// <summary>x + δ after K projected steepest-ascent steps on |ℓ(x + δ) − ℓ(x) − δᵀp(x)| from x + δ⁰.</summary>
    internal Fin<T> Perturbed<T>(IBlock<T> model, T x, ILoss<T> loss, T start)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return ObjectiveChecks.Inputs(model, x, loss, Box).Bind(_ => LossDerivatives.Gradient(model, x, loss, withParameters: false)).Bind(clean =>
        {
            var lossAtX = loss.PerSample(clean.FinalState);
            var perturbed = Perturbations.Start(engine, x, start, Norm, Epsilon, Box);
            for (int k = 0; k < Steps; k++)
            {
                using var step = engine.OpenScope();
                var moved = LossDerivatives.Gradient(model, perturbed, loss, withParameters: false);
                if (moved.IsFail) return moved.Map(_ => perturbed);
                var g = (LossGradient<T>)moved;
                var residual = Residual(engine, loss.PerSample(g.FinalState), lossAtX, engine.Add(perturbed, x, -1), clean.InputSensitivity);
                // ∇_δ |r| = sign(r) (p(x + δ) − p(x)); ∇φ of it is sign(r) ∇φ(p(x + δ) − p(x)) for every q.
                var ascent = SampleValues.ScaleRows(engine, engine.Add(g.InputSensitivity, clean.InputSensitivity, -1), residual.Select(Math.Sign).Select(s => (double)s).ToArray());
                perturbed = engine.Keep(Perturbations.Step(engine, x, perturbed, ascent, Step, Norm, Epsilon, Box));
            }
            return FinSucc(engine.Keep(perturbed));
        });
    }

    /// <summary>
    /// J(x) + λ mean |r| + μ mean |δᵀp(x)| and its gradient at a fixed perturbed input x + δ: one forward, reverse, tangent and
    /// second-order reverse sweep at x, one forward and two reverse sweeps at x + δ.
    /// </summary>
    internal static Fin<ObjectiveResult<T>> At<T>(IBlock<T> model, T x, ILoss<T> loss, T perturbed, double linearityWeight, double gradientWeight)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        var delta = engine.Add(perturbed, x, -1);
        int batch = (int)engine.BatchSize(x);
        double lossValue = 0, objective = 0;
        return LossDerivatives.PenaltyGradient(model, [x, perturbed], loss, (outputs, sensitivities) =>
        {
            var (atX, atPerturbed) = (loss.PerSample(outputs[0]), loss.PerSample(outputs[1]));
            var residual = Residual(engine, atPerturbed, atX, delta, sensitivities[0]);
            var linear = SampleValues.Dot(engine, delta, sensitivities[0]);
            var lossX = SampleValues.Read(engine, atX);
            var (seed, clean, moved) = (new double[batch], new double[batch], new double[batch]);
            lossValue = SampleValues.Mean(lossX);
            objective = lossValue;
            for (int i = 0; i < batch; i++)
            {
                double s = Math.Sign(residual[i]), t = Math.Sign(linear[i]);
                objective += (linearityWeight * Math.Abs(residual[i]) + gradientWeight * Math.Abs(linear[i])) / batch;
                seed[i] = (gradientWeight * t - linearityWeight * s) / batch;
                clean[i] = (1 - linearityWeight * s) / batch;
                moved[i] = linearityWeight * s / batch;
            }
            return
            [
                PenaltyTerms<T>.Of(SampleValues.ScaleRows(engine, delta, seed), SampleValues.ScaleRows(engine, loss.Gradient(outputs[0]), clean)),
                PenaltyTerms<T>.OfOutput(SampleValues.ScaleRows(engine, loss.Gradient(outputs[1]), moved)),
            ];
        }).Map(g => new ObjectiveResult<T>(lossValue, objective, g.Gradients, g.FinalStates[0]).Keep(engine));
    }

    /// <summary>rᵢ = ℓᵢ(x + δ) − ℓᵢ(x) − δᵢᵀ pᵢ(x) per sample.</summary>
    private static double[] Residual<T>(Core.Engines.IEngine<T> engine, T lossAtPerturbed, T lossAtX, T delta, T sensitivity)
    {
        var (moved, clean, linear) = (SampleValues.Read(engine, lossAtPerturbed), SampleValues.Read(engine, lossAtX), SampleValues.Dot(engine, delta, sensitivity));
        var r = new double[moved.Length];
        for (int i = 0; i < r.Length; i++) r[i] = moved[i] - clean[i] - linear[i];
        return r;
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant(
        $"llr(epsilon={Epsilon:R}, q={Norm}, linearityWeight={LinearityWeight:R}, gradientWeight={GradientWeight:R}, steps={Steps}, stepSize={Step:R}, warmupEpochs={WarmupEpochs}, box={Box?.ToString() ?? "none"})");
}
