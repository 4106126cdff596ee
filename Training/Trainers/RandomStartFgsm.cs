using LanguageExt;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;

namespace RobustNode.Training.Trainers;

/// <summary>
/// FGSM with a random start (Wong et al.): from x₀ = clip_box(x + δ⁰) with δ⁰ a point of the ε-ball, one steepest-ascent
/// step x̃ = clip_box(x + Π_ε(x₀ − x + α ∇φ(p(x₀)))), where p(x₀) is the input sensitivity at the start (one forward and one
/// reverse sweep). Wong et al. take α = 1.25 ε; with δ⁰ = 0 and α ≥ ε it is plain FGSM.
/// </summary>
/// <remarks>Wong, Rice &amp; Kolter, "Fast is better than free: revisiting adversarial training", ICLR 2020.</remarks>
internal static class RandomStartFgsm
{
    /// <summary>The FGSM-with-random-start example x̃ of x from the start δ⁰ (projected onto the ball first).</summary>
    public static Fin<T> Example<T>(IBlock<T> model, T x, ILoss<T> loss, T start, double epsilon, double stepSize, AttackNorm norm, InputBox? box)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        var x0 = Perturbations.Start(engine, x, start, norm, epsilon, box);
        return LossDerivatives.InputSensitivity(model, x0, loss)
            .Map(p => engine.Keep(Perturbations.Step(engine, x, x0, p, stepSize, norm, epsilon, box)));
    }
}
