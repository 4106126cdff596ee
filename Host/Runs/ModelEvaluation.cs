using System.Globalization;
using LanguageExt;
using RobustNode.Core.Norms;
using RobustNode.Host.Experiments;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Runs;

/// <summary>Which evaluation attacks to run (as far as the experiment enables them).</summary>
[Flags]
internal enum AttackSelection
{
    /// <summary>The fast gradient (sign) method.</summary>
    Fgsm = 1,
    /// <summary>Projected gradient descent.</summary>
    Pgd = 2,
    /// <summary>APGD on the cross-entropy.</summary>
    ApgdCe = 4,
    /// <summary>APGD with targets: the targeted DLR loss (the targeted margin below four classes).</summary>
    ApgdDlr = 8,
    /// <summary>The gradient-free Square attack.</summary>
    Square = 16,
    /// <summary>FGSM and PGD.</summary>
    Both = Fgsm | Pgd,
    /// <summary>Every attack.</summary>
    All = Fgsm | Pgd | ApgdCe | ApgdDlr | Square,
}

/// <summary>Accuracy under one attack family versus ε, with ε in input units.</summary>
/// <param name="Attack">The family's name, e.g. <c>fgsm-inf</c>, <c>pgd20-inf</c>, <c>worst-case-inf</c>.</param>
/// <param name="Points">Accuracy at each radius, in the configured order.</param>
/// <param name="SubsetSize">When the attack was scored on the first test samples only, how many; null: all.</param>
internal sealed record AttackCurve(string Attack, IReadOnlyList<RobustnessPoint> Points, int? SubsetSize = null);

/// <summary>The sanity checks of a model's evaluation: the worst case's samples, the covering check and every finding.</summary>
/// <param name="WorstCaseSamples">The first test samples the worst case is measured on.</param>
/// <param name="Covering">The check at the covering radius (radius in input units), if it ran.</param>
/// <param name="CoveringWhat">What that radius covers, in words ("the input box [0, 1]").</param>
/// <param name="Findings">Every check's outcome in words.</param>
internal sealed record SanityReport(int WorstCaseSamples, CoveringOutcome? Covering, string CoveringWhat, IReadOnlyList<SanityFinding> Findings);

/// <summary>An evaluation attack for reports: its curve's name, its budget in words, and the first test samples it attacks (0: all).</summary>
internal sealed record AttackDescription(string Name, string Settings, int TestCount);

/// <summary>
/// A model's clean test accuracy, its accuracy-versus-ε curves — under each attack, the worst case per sample over them,
/// and certified (<c>certified-&lt;norm&gt;</c>) when the model has a Lipschitz bound, which <see cref="Bound"/> then holds
/// (null: none known, e.g. adaptive steps) — and the sanity checks of the attacks.
/// </summary>
internal sealed record ModelScores(double CleanAccuracy, IReadOnlyList<AttackCurve> Curves, SanityReport? Sanity = null)
{
    /// <summary>The ℓ2 Lipschitz bound of the model's logits behind the certified curve, or null.</summary>
    public LipschitzBound? Bound { get; init; }
}

/// <summary>
/// Evaluates a model on the test set: clean accuracy, every selected attack at every radius, per sample, the worst case
/// per sample over them (<c>worst-case-&lt;norm&gt;</c>, robust accuracy: with one attack, that attack made monotone in ε), and the sanity
/// checks (<see cref="SanityChecks"/>) with the covering radius of the evaluation settings.
/// </summary>
internal static class ModelEvaluation
{
    /// <summary>The name of the worst-case curve.</summary>
    public static string WorstCaseName(string norm) => $"worst-case-{norm}";

    /// <summary>The name of the targeted APGD's curve (the targeted DLR loss, or the targeted margin below four classes).</summary>
    public static string ApgdDlrName(string norm) => $"apgd-dlr-{norm}";

    /// <summary>The attacks of an evaluation, in network units (radii are scaled by the suite), for a data set of so many classes.</summary>
    public static IReadOnlyList<SuiteAttack> Families(EvaluationSettings evaluation, InputScale scale, AttackSelection selection, int classes)
    {
        var box = scale.Box(evaluation.Box);
        var norm = evaluation.Norm;
        var families = new List<SuiteAttack>();
        if (evaluation.Fgsm && selection.HasFlag(AttackSelection.Fgsm))
            families.Add(new SuiteAttack(AttackFamily.Fgsm(norm, box)));
        if (evaluation.Pgd is { } pgd && selection.HasFlag(AttackSelection.Pgd))
            families.Add(new SuiteAttack(AttackFamily.Pgd(norm, pgd.Steps, pgd.RelativeStepSize, randomStart: true, pgd.Restarts, pgd.Seed, box), pgd.TestCount));
        if (evaluation.Apgd is { } apgd && selection.HasFlag(AttackSelection.ApgdCe))
            families.Add(new SuiteAttack(AttackFamily.Apgd(norm, ApgdLoss.CrossEntropy, apgd.Iterations, apgd.Restarts, seed: apgd.Seed, box: box), apgd.TestCount));
        if (evaluation.ApgdDlr is { } targeted && selection.HasFlag(AttackSelection.ApgdDlr))
            // Named apgd-dlr-<norm> whatever the loss: the section's curve keeps its name on two- and three-class data, where
            // the targeted margin stands in for the DLR (the attack's description says which loss ran).
            families.Add(new SuiteAttack(AttackFamily.Apgd(norm, ApgdLosses.Targeted(classes), targeted.Iterations, targeted.Restarts,
                targeted.TargetClasses, targeted.Seed, box) with { Name = ApgdDlrName(norm.ToString()) }, targeted.TestCount));
        if (evaluation.Square is { } square && selection.HasFlag(AttackSelection.Square))
            families.Add(new SuiteAttack(AttackFamily.Square(norm, square.Queries, square.InitialFraction, square.Restarts, square.Seed, box), square.TestCount));
        return families;
    }

    /// <summary>Each attack's name and budget as text, for reports.</summary>
    public static IReadOnlyList<AttackDescription> Describe(EvaluationSettings evaluation, AttackSelection selection, int classes)
    {
        var n = evaluation.Norm;
        var list = new List<AttackDescription>();
        if (evaluation.Fgsm && selection.HasFlag(AttackSelection.Fgsm)) list.Add(new($"fgsm-{n}", "one step to the boundary of the ball", 0));
        if (evaluation.Pgd is { } p && selection.HasFlag(AttackSelection.Pgd))
            list.Add(new($"pgd{p.Steps}-{n}", Invariant($"steps={p.Steps}, restarts={p.Restarts}, stepSize={(p.RelativeStepSize ?? 2.5 / p.Steps):G4}·ε, randomStart=true, seed={p.Seed}"), p.TestCount));
        if (evaluation.Apgd is { } a && selection.HasFlag(AttackSelection.ApgdCe))
            list.Add(new($"apgd-ce-{n}", Invariant($"iterations={a.Iterations}, restarts={a.Restarts}, seed={a.Seed}"), a.TestCount));
        if (evaluation.ApgdDlr is { } t && selection.HasFlag(AttackSelection.ApgdDlr))
        {
            var loss = ApgdLosses.Targeted(classes);
            string what = loss == ApgdLoss.TargetedDlr ? "targeted DLR loss" : "targeted margin loss (the DLR needs at least four classes)";
            list.Add(new(ApgdDlrName(n.ToString()), Invariant($"{what}, iterations={t.Iterations} per target, targets={Math.Min(t.TargetClasses, classes - 1)}, restarts={t.Restarts}, seed={t.Seed}"), t.TestCount));
        }
        if (evaluation.Square is { } s && selection.HasFlag(AttackSelection.Square))
            list.Add(new($"square-{n}", Invariant($"queries={s.Queries}, p_init={s.InitialFraction:G4}, restarts={s.Restarts}, seed={s.Seed}, gradient-free"), s.TestCount));
        return list;
    }

    /// <summary>
    /// The covering radius in input units and what it covers: the evaluation's own, or the q-diameter of the input box, or
    /// of the test data's bounding box; null when the check is off.
    /// </summary>
    public static (double Radius, string What)? Covering(EvaluationSettings evaluation, Dataset test, InputScale scale)
    {
        if (evaluation.CoveringRadius is not { } setting) return null;
        string what = evaluation.Box is { } box ? $"the input box {box}" : "the test data's bounding box";
        if (setting.Radius is { } given) return (given, $"{what} as configured");
        // The diameter in network units, back in input units (σ per unit).
        return (CoveringRadius.Of(evaluation.Norm, test, scale.Box(evaluation.Box)) * scale.Std, what);
    }

    /// <summary>
    /// Scores a model under the given attacks at the given radii (input units), with the worst case per sample and the
    /// sanity checks, and — when a norm to certify in is given and the model has a Lipschitz bound — its certified accuracy
    /// at the same radii on the whole test set (<see cref="Certification"/>), as the curve <c>certified-&lt;norm&gt;</c>
    /// after the others (a bound, not an attack: it takes no part in the worst case).
    /// </summary>
    public static Fin<ModelScores> Evaluate<T>(IBlock<T> model, Dataset test, IReadOnlyList<SuiteAttack> attacks, IReadOnlyList<double> epsilons,
        InputScale scale, EvaluationSettings evaluation, AttackNorm? certify = null)
    {
        var covering = attacks.Count > 0 ? Covering(evaluation, test, scale) : null;
        return AttackSuite.Evaluate(model, test, attacks, epsilons, 1 / scale.Std, covering?.Radius).Map(result =>
        {
            var curves = result.Attacks.Select((a, i) => new AttackCurve(a.Attack,
                a.Accuracies.Select((accuracy, j) => new RobustnessPoint(epsilons[j], accuracy)).ToArray(),
                a.Samples < test.Count ? a.Samples : null)).ToList();
            var worst = result.WorstCase;
            if (attacks.Count > 0)
                curves.Add(new AttackCurve(WorstCaseName(evaluation.Norm.ToString()),
                    worst.Accuracies.Select((accuracy, j) => new RobustnessPoint(epsilons[j], accuracy)).ToArray(),
                    worst.Samples < test.Count ? worst.Samples : null));
            var findings = SanityChecks.Of(result, evaluation.Norm.ToString(), covering?.What ?? "");
            var sanity = new SanityReport(worst.Samples, result.Covering, covering?.What ?? "", findings);
            // A model without a known bound (adaptive steps, a field without a Lipschitz constant) has no certified curve.
            if (certify is null || Certification.Certify(model, test, certify) is not { IsSucc: true } certified)
                return new ModelScores(result.CleanAccuracy, curves, sanity);
            var bound = (CertificationResult)certified;
            var certifiedCurve = bound.Curve(epsilons.Select(scale.Radius).ToArray());
            curves.Add(new AttackCurve(certifiedCurve.Attack, certifiedCurve.Points.Select((p, i) => new RobustnessPoint(epsilons[i], p.Accuracy)).ToArray()));
            return new ModelScores(result.CleanAccuracy, curves, sanity) { Bound = bound.Bound };
        });
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
