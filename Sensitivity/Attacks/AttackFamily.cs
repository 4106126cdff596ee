using RobustNode.Core.Norms;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// An attack as a function of its radius, for accuracy-versus-ε curves: <c>family.At(ε)</c> is the attack of radius ε.
/// </summary>
/// <param name="Name">Name used in reports, e.g. "fgsm-inf" or "pgd-2".</param>
/// <param name="At">The attack of a given radius.</param>
public sealed record AttackFamily(string Name, Func<double, IAttack> At)
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
}
