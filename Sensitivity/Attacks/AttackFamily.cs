using RobustNode.Core.Norms;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// An attack as a function of its radius, for accuracy-versus-ε curves: <c>family.At(ε)</c> is the attack of radius ε.
/// </summary>
/// <param name="Name">Name used in reports, e.g. "fgsm-inf", "pgd20-inf", "apgd-ce-2", "square-inf".</param>
/// <param name="At">The attack of a given radius.</param>
/// <param name="GradientFree">True for attacks that only query the model's outputs (Square): a model that masks its
/// gradients fools the others but not these, so a gradient-free attack that beats the gradient-based ones is a warning.</param>
public sealed record AttackFamily(string Name, Func<double, IAttack> At, bool GradientFree = false)
{
    /// <summary>FGSM of every radius.</summary>
    public static AttackFamily Fgsm(AttackNorm norm, InputBox? box = null) =>
        new($"fgsm-{norm}", epsilon => new Fgsm(epsilon, norm, box));

    /// <summary>
    /// PGD of every radius with the step size proportional to it, α = relativeStepSize · ε
    /// (default 2.5 / steps, Madry et al.).
    /// </summary>
    public static AttackFamily Pgd(AttackNorm norm, int steps = 10, double? relativeStepSize = null, bool randomStart = true,
        int restarts = 1, long seed = 0, InputBox? box = null)
    {
        double ratio = relativeStepSize ?? 2.5 / Math.Max(steps, 1);
        return new($"pgd{steps}-{norm}", epsilon => new Pgd(epsilon, norm, steps, ratio * epsilon, randomStart, restarts, seed, box));
    }

    /// <summary>
    /// APGD of every radius on the given loss (<c>apgd-ce-&lt;norm&gt;</c>) or, with a targeted loss, over the top target
    /// classes (<c>apgd-dlr-&lt;norm&gt;</c>, or <c>apgd-margin-&lt;norm&gt;</c> where the DLR is not defined: use
    /// <see cref="ApgdLosses.Targeted"/> with the number of classes).
    /// </summary>
    public static AttackFamily Apgd(AttackNorm norm, ApgdLoss loss = ApgdLoss.CrossEntropy, int iterations = 100, int restarts = 1,
        int targetClasses = 9, long seed = 0, InputBox? box = null) =>
        new($"{loss.Name()}-{norm}", epsilon => new Apgd(epsilon, norm, iterations, restarts, loss, targetClasses, seed, box));

    /// <summary>The Square attack of every radius (<c>square-&lt;norm&gt;</c>), gradient-free.</summary>
    public static AttackFamily Square(AttackNorm norm, int queries = 5000, double initialFraction = 0.8, int restarts = 1, long seed = 0,
        InputBox? box = null) =>
        new($"square-{norm}", epsilon => new Square(epsilon, norm, queries, initialFraction, restarts, seed, box), GradientFree: true);
}
