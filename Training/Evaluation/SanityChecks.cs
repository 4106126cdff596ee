using System.Globalization;

namespace RobustNode.Training.Evaluation;

/// <summary>The checks a robustness evaluation must pass before its numbers are believed.</summary>
public enum SanityCheck
{
    /// <summary>Accuracy does not rise with ε under any attack (beyond sampling noise).</summary>
    Monotone,

    /// <summary>At a radius that covers the data the worst case falls to chance.</summary>
    CoveringRadius,

    /// <summary>A gradient-free attack does not beat the gradient-based ones (beyond sampling noise).</summary>
    GradientFreeGap,
}

/// <summary>The outcome of one check in words: passed or not, and why.</summary>
/// <param name="Check">Which check.</param>
/// <param name="Passed">False when the check raises a warning.</param>
/// <param name="Message">A sentence a reader can act on.</param>
/// <param name="Attack">The attack concerned, if one.</param>
/// <param name="Epsilon">The radius concerned, if one (input units).</param>
public sealed record SanityFinding(SanityCheck Check, bool Passed, string Message, string? Attack = null, double? Epsilon = null);

/// <summary>
/// The sanity checks of Carlini et al. (2019) that a suite's per-sample results allow, each stated in words:
/// (1) accuracy falls with ε under every attack — an attack that does better in a smaller ball than in a larger one
/// failed at the larger radius; (2) at a radius that covers the data every model falls to chance — a model that does
/// not is masking gradients, and its robust accuracy is an overestimate; (3) a gradient-free attack does not beat the
/// gradient-based ones — if it does, the gradients mislead. Differences are judged on the same samples by the exact
/// one-sided sign test (<see cref="SignTest"/>, 5 %), so sampling noise alone does not raise a warning.
/// </summary>
/// <remarks>
/// Carlini, Athalye, Papernot, Brendel, Rauber, Tsipras, Goodfellow, Madry &amp; Kurakin, "On evaluating adversarial
/// robustness", arXiv:1902.06705 (2019), §5 (sanity checks: unbounded attacks reach 100 % success, larger budgets are
/// stronger, gradient-free attacks do not beat gradient-based ones); Athalye, Carlini &amp; Wagner, "Obfuscated gradients
/// give a false sense of security", ICML 2018.
/// </remarks>
public static class SanityChecks
{
    /// <summary>Every check on a suite's results: one finding per warning, one passing finding per check that raised none.</summary>
    /// <param name="result">The suite's results.</param>
    /// <param name="norm">The norm's name for the messages ("inf", "2").</param>
    /// <param name="coveringWhat">What the covering radius covers, e.g. "the input box [0, 1]" or "the test data".</param>
    public static IReadOnlyList<SanityFinding> Of(SuiteResult result, string norm, string coveringWhat)
    {
        var findings = new List<SanityFinding>();
        findings.AddRange(Monotone(result));
        findings.AddRange(Covering(result, norm, coveringWhat));
        findings.AddRange(GradientFree(result));
        return findings;
    }

    private static IEnumerable<SanityFinding> Monotone(SuiteResult result)
    {
        bool any = false;
        foreach (var outcome in result.Attacks)
        {
            var ascending = Enumerable.Range(0, outcome.Epsilons.Count).OrderBy(j => outcome.Epsilons[j]).ToArray();
            for (int k = 1; k < ascending.Length; k++)
            {
                int smaller = ascending[k - 1], larger = ascending[k];
                var (before, after) = (outcome.Correct[smaller], outcome.Correct[larger]);
                int rose = 0, fell = 0;
                for (int i = 0; i < before.Length; i++)
                {
                    if (after[i] && !before[i]) rose++;
                    if (before[i] && !after[i]) fell++;
                }
                if (rose <= fell || !SignTest.Significant(rose, rose + fell)) continue;
                any = true;
                double p = SignTest.UpperTail(rose, rose + fell);
                yield return new SanityFinding(SanityCheck.Monotone, false,
                    Text($"{outcome.Attack}: accuracy rises from {Percent(outcome.Accuracies[smaller])} at ε = {outcome.Epsilons[smaller]:G4} to {Percent(outcome.Accuracies[larger])} at ε = {outcome.Epsilons[larger]:G4} ") +
                    Text($"({rose} samples withstand the larger ball but not the smaller one, {fell} the other way; sign test p = {p:G2}). ") +
                    "A larger ball contains the smaller one, so the attack failed at the larger radius: its step size or budget does not fit, or the model masks its gradients.",
                    outcome.Attack, outcome.Epsilons[larger]);
            }
        }
        if (!any && result.Attacks.Count > 0)
            yield return new SanityFinding(SanityCheck.Monotone, true,
                "Accuracy falls (or stays) as ε grows under every attack, within sampling noise (sign test, 5 %).");
    }

    private static IEnumerable<SanityFinding> Covering(SuiteResult result, string norm, string coveringWhat)
    {
        if (result.Covering is not { } c) yield break;
        string where = Text($"At ε = {c.Radius:G4} (the ℓ{(norm == "inf" ? "∞" : norm)} diameter of {coveringWhat}, so every test point can be moved onto every other)");
        string attacks = string.Join(", ", c.Attacks.Select(a => $"{a.Attack} {Percent(a.Accuracy)}"));
        if (c.Drops)
            yield return new SanityFinding(SanityCheck.CoveringRadius, true, Text(
                $"{where} the worst case leaves {Percent(c.WorstCase)} of {c.Samples} samples, at or below chance ({Percent(c.Chance)}, the most frequent class): the attacks find the adversarial examples that must exist ({attacks})."),
                Epsilon: c.Radius);
        else
            yield return new SanityFinding(SanityCheck.CoveringRadius, false,
                Text($"{where} the worst case still leaves {Percent(c.WorstCase)} of {c.Samples} samples correct, above chance ({Percent(c.Chance)}, the most frequent class) ({attacks}). ") +
                "Adversarial examples must exist there, so the attacks miss them: the model probably masks its gradients, and its robust accuracy is an overestimate.",
                Epsilon: c.Radius);
    }

    private static IEnumerable<SanityFinding> GradientFree(SuiteResult result)
    {
        var free = result.Attacks.Where(a => a.GradientFree).ToArray();
        var based = result.Attacks.Where(a => !a.GradientFree).ToArray();
        if (free.Length == 0 || based.Length == 0)
        {
            yield return new SanityFinding(SanityCheck.GradientFreeGap, true, free.Length == 0
                ? "Not checked: no gradient-free attack (Square) was run, so gradient masking would go unnoticed at these radii."
                : "Not checked: no gradient-based attack was run beside the gradient-free one.");
            yield break;
        }
        int samples = result.Attacks.Min(a => a.Samples);
        bool any = false;
        foreach (var attack in free)
            for (int j = 0; j < attack.Epsilons.Count; j++)
            {
                // Among the samples classified correctly without attack: broken only by the gradient-free attack, or only by the others.
                int onlyFree = 0, onlyBased = 0;
                for (int i = 0; i < samples; i++)
                {
                    if (!result.Clean[i]) continue;
                    bool brokenByFree = !attack.Correct[j][i];
                    bool brokenByBased = based.Any(b => !b.Correct[j][i]);
                    if (brokenByFree && !brokenByBased) onlyFree++;
                    if (brokenByBased && !brokenByFree) onlyBased++;
                }
                if (onlyFree <= onlyBased || !SignTest.Significant(onlyFree, onlyFree + onlyBased)) continue;
                any = true;
                double p = SignTest.UpperTail(onlyFree, onlyFree + onlyBased);
                double bestBased = based.Min(b => Fraction.Of(b.Correct[j].Take(samples).ToArray()));
                yield return new SanityFinding(SanityCheck.GradientFreeGap, false,
                    Text($"ε = {attack.Epsilons[j]:G4}: the gradient-free {attack.Attack} leaves {Percent(Fraction.Of(attack.Correct[j].Take(samples).ToArray()))}, below the {Percent(bestBased)} of the strongest gradient-based attack; ") +
                    Text($"it breaks {onlyFree} samples that every gradient-based attack misses ({onlyBased} the other way; sign test p = {p:G2}). ") +
                    "Gradients lead the attacks astray: the model probably masks its gradients, and the gradient-based accuracies overstate its robustness.",
                    attack.Attack, attack.Epsilons[j]);
            }
        if (!any)
            yield return new SanityFinding(SanityCheck.GradientFreeGap, true,
                $"The gradient-free {string.Join(" and ", free.Select(f => f.Attack))} never beats the gradient-based attacks beyond sampling noise (sign test, 5 %).");
    }

    private static string Percent(double fraction) => (100 * fraction).ToString("F1", CultureInfo.InvariantCulture) + " %";

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
