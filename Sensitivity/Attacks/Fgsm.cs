using LanguageExt;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// The fast gradient (sign) method: one adjoint solve and one step to the boundary of the attack ball,
/// x̃ = x₀ + ε ∇φ(p(0)) with φ = ‖·‖_{q*} — the steepest-ascent direction of the linearised loss in the q-ball:
/// ε sign(p(0)) for ℓ∞ (Goodfellow et al. 2015), ε p(0)/‖p(0)‖₂ for ℓ₂, ε sign(p_j) e_j at the largest |p_j| for ℓ₁.
/// x̃ is then clipped to the input box, if any. It is the worst case of the first-order expansion that the
/// augmented loss 𝒥 = J + ε‖p(0)‖_{q*} penalises (seed talk, Proposition 1 and Figure 4).
/// </summary>
/// <param name="Epsilon">Radius ε ≥ 0 of the attack ball.</param>
/// <param name="Norm">Attack norm q (∞, 2 or 1).</param>
/// <param name="Box">Valid input box, or null for none.</param>
/// <remarks>Goodfellow, Shlens &amp; Szegedy, "Explaining and harnessing adversarial examples", ICLR 2015.</remarks>
public sealed record Fgsm(double Epsilon, AttackNorm Norm, InputBox? Box = null) : IAttack
{
    /// <inheritdoc/>
    public string Name => "fgsm";

    /// <inheritdoc/>
    public IAttack WithEpsilon(double epsilon) => this with { Epsilon = epsilon };

    /// <inheritdoc/>
    public IAttack WithSeed(long seed) => this;

    /// <summary>Checks the settings, reporting every problem at once.</summary>
    public Fin<Fgsm> Validate() => AttackChecks.All(AttackChecks.Settings(Epsilon, Box)).Map(_ => this);

    /// <inheritdoc/>
    public Fin<T> Perturb<T>(IBlock<T> model, T x0, ILoss<T> loss) =>
        Validate().Bind(_ => AttackChecks.Inputs(model, x0, loss, Box)).Bind(_ =>
        {
            var engine = model.Engine;
            if (Epsilon == 0) return FinSucc(engine.Clone(x0));
            using var scope = engine.OpenScope();
            return LossDerivatives.InputSensitivity(model, x0, loss).Map(p =>
            {
                var x = engine.Add(x0, engine.DualNormGradient(Norm, p), Epsilon);
                return engine.Keep(Box is null ? x : Box.Clip(engine, x));
            });
        });
}
