using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Sampling;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Problems;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// Projected gradient descent on the negative loss (Madry et al.): from x₀ (or a uniform random point of the
/// ε-ball around it), repeat
/// <c>δ ← Π_ε(δ + α ∇φ(p(0; x₀ + δ)))</c>, <c>x̃ = clip_box(x₀ + δ)</c>
/// for the given number of steps, where p(0) is the input sensitivity at the current iterate, ∇φ the
/// steepest-ascent direction in the q-ball (sign for ℓ∞, normalised for ℓ₂; see <see cref="AttackNorm"/>)
/// and Π_ε the projection onto ‖δ‖_q ≤ ε (<see cref="IEngine{T}.Project"/>). Each sample keeps the evaluated point of
/// highest loss among the iterates of every restart (the start included), so more steps or restarts with the same
/// seed never weaken the attack. Without random start and with α ≥ ε (ℓ∞, ℓ₂) the first step lands on the FGSM
/// example (up to rounding for ℓ₂), so the loss is at least FGSM's.
/// </summary>
/// <param name="Epsilon">Radius ε ≥ 0 of the attack ball.</param>
/// <param name="Norm">Attack norm q (∞, 2 or 1).</param>
/// <param name="Steps">Number of ascent steps (≥ 1).</param>
/// <param name="StepSize">Step length α &gt; 0 in the attack norm (Madry et al. use α = 2.5 ε / steps).</param>
/// <param name="RandomStart">Start each restart from a uniform sample of the ε-ball instead of x₀.</param>
/// <param name="Restarts">Number of restarts (≥ 1); the worst case per sample is kept.</param>
/// <param name="Seed">Seed of the random starts (a SplitMix64 stream): the same seed gives the same perturbations on every engine.</param>
/// <param name="Box">Valid input box, or null for none.</param>
/// <remarks>Madry, Makelov, Schmidt, Tsipras &amp; Vladu, "Towards deep learning models resistant to adversarial attacks", ICLR 2018.</remarks>
public sealed record Pgd(
    double Epsilon,
    AttackNorm Norm,
    int Steps,
    double StepSize,
    bool RandomStart = true,
    int Restarts = 1,
    long Seed = 0,
    InputBox? Box = null) : IAttack
{
    /// <inheritdoc/>
    public string Name => "pgd";

    /// <summary>Madry et al.'s setting: α = 2.5 ε / steps, random start, one restart.</summary>
    public static Pgd Madry(double epsilon, AttackNorm norm, int steps = 10, long seed = 0, InputBox? box = null) =>
        new(epsilon, norm, steps, 2.5 * epsilon / Math.Max(steps, 1), true, 1, seed, box);

    /// <summary>The same attack with another radius; the step size keeps its ratio α/ε (kept as it is from ε = 0).</summary>
    public IAttack WithEpsilon(double epsilon) =>
        epsilon == Epsilon ? this : this with { Epsilon = epsilon, StepSize = Epsilon > 0 ? StepSize * epsilon / Epsilon : StepSize };

    /// <inheritdoc/>
    public IAttack WithSeed(long seed) => this with { Seed = seed };

    /// <summary>Checks the settings, reporting every problem at once.</summary>
    public Fin<Pgd> Validate() => AttackChecks.All(Problems()).Map(_ => this);

    private IEnumerable<Error> Problems()
    {
        foreach (var e in AttackChecks.Settings(Epsilon, Box)) yield return e;
        if (Steps < 1) yield return RobustNodeErrors.InvalidArgument("steps", $"PGD needs at least one step, got {Steps}");
        if (Epsilon > 0 && (!(StepSize > 0) || !double.IsFinite(StepSize)))
            yield return RobustNodeErrors.InvalidArgument("stepSize", $"must be positive and finite, got {StepSize}");
        if (Restarts < 1) yield return RobustNodeErrors.InvalidArgument("restarts", $"PGD needs at least one restart, got {Restarts}");
    }

    /// <inheritdoc/>
    public Fin<T> Perturb<T>(IBlock<T> model, T x0, ILoss<T> loss) =>
        Validate().Bind(_ => AttackChecks.Inputs(model, x0, loss, Box)).Bind(_ =>
        {
            var engine = model.Engine;
            if (Epsilon == 0) return FinSucc(engine.Clone(x0));
            using var scope = engine.OpenScope();
            var random = new SplitMix64(Seed);
            var worst = new WorstCase<T>(engine);
            for (int restart = 0; restart < Restarts; restart++)
            {
                var x = RandomStart ? Clip(engine, engine.Add(x0, BallSampling.Uniform(engine, Norm, Epsilon, x0, random))) : engine.Clone(x0);
                for (int step = 0; ; step++)
                {
                    using var stepScope = engine.OpenScope();
                    if (step == Steps)
                    {
                        var output = Inference.Output(model, x);
                        if (output.IsFail) return output;
                        worst.Offer(x, loss.PerSample((T)output));
                        break;
                    }
                    var gradient = LossDerivatives.Gradient(model, x, loss, withParameters: false);
                    if (gradient.IsFail) return gradient.Map(g => g.InputSensitivity);
                    var g = (LossGradient<T>)gradient;
                    worst.Offer(x, loss.PerSample(g.FinalState));
                    var delta = engine.Add(x, x0, -1);
                    engine.AddInPlace(delta, engine.DualNormGradient(Norm, g.InputSensitivity), StepSize);
                    var next = engine.Keep(Clip(engine, engine.Add(x0, engine.Project(Norm, delta, Epsilon))));
                    engine.Release(x);
                    x = next;
                }
                engine.Release(x);
            }
            return FinSucc(engine.Keep(worst.Inputs!));
        });

    /// <summary>Per sample, the evaluated input of highest loss so far (its values live in the enclosing scope).</summary>
    private sealed class WorstCase<T>(IEngine<T> engine)
    {
        private bool _any;
        private T _loss = default!;
        public T? Inputs { get; private set; }

        public void Offer(T x, T lossAtX)
        {
            if (!_any)
            {
                (Inputs, _loss, _any) = (engine.Keep(engine.Clone(x)), engine.Keep(engine.Clone(lossAtX)), true);
                return;
            }
            var worse = engine.Greater(lossAtX, _loss);
            var (inputs, loss) = (engine.Keep(engine.WhereRows(worse, x, Inputs!)), engine.Keep(engine.WhereRows(worse, lossAtX, _loss)));
            engine.Release(Inputs!);
            engine.Release(_loss);
            (Inputs, _loss) = (inputs, loss);
        }
    }

    private T Clip<T>(IEngine<T> engine, T x) => Box is null ? x : Box.Clip(engine, x);
}
