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

/// <summary>Which evaluation attacks to run.</summary>
[Flags]
public enum AttackSelection
{
    /// <summary>The fast gradient (sign) method.</summary>
    Fgsm = 1,
    /// <summary>Projected gradient descent.</summary>
    Pgd = 2,
    /// <summary>Both, as far as the experiment enables them.</summary>
    Both = Fgsm | Pgd,
}

/// <summary>An evaluation attack: its family, and how many test samples it attacks (the first ones; 0: all).</summary>
public sealed record EvaluationAttack(AttackFamily Family, int TestCount = 0)
{
    /// <summary>The samples this attack is scored on.</summary>
    public Dataset Samples(Dataset test) => TestCount > 0 ? test.First(TestCount) : test;
}

/// <summary>Accuracy under one attack family versus ε, with ε in input units.</summary>
/// <param name="Attack">The family's name, e.g. <c>fgsm-inf</c>, <c>pgd20-inf</c>.</param>
/// <param name="Points">Accuracy at each radius, in the configured order.</param>
/// <param name="SubsetSize">When the attack was scored on the first test samples only, how many; null: all.</param>
public sealed record AttackCurve(string Attack, IReadOnlyList<RobustnessPoint> Points, int? SubsetSize = null);

/// <summary>
/// A model's clean test accuracy and its accuracy-versus-ε curves — under attack, and certified (<c>certified-&lt;norm&gt;</c>)
/// when the model has a Lipschitz bound, which <see cref="Bound"/> then holds (null: none known, e.g. adaptive steps).
/// </summary>
public sealed record ModelScores(double CleanAccuracy, IReadOnlyList<AttackCurve> Curves)
{
    /// <summary>The ℓ2 Lipschitz bound of the model's logits behind the certified curve, or null.</summary>
    public LipschitzBound? Bound { get; init; }
}

/// <summary>Evaluates a model on the test set: clean accuracy, then every selected attack family at every radius.</summary>
public static class ModelEvaluation
{
    /// <summary>The attack families of an evaluation, in network units (radii are scaled by the caller's ε list).</summary>
    public static IReadOnlyList<EvaluationAttack> Families(EvaluationSettings evaluation, InputScale scale, AttackSelection selection)
    {
        var box = scale.Box(evaluation.Box);
        var families = new List<EvaluationAttack>();
        if (evaluation.Fgsm && selection.HasFlag(AttackSelection.Fgsm))
            families.Add(new EvaluationAttack(AttackFamily.Fgsm(evaluation.Norm, box)));
        if (evaluation.Pgd is { } pgd && selection.HasFlag(AttackSelection.Pgd))
            families.Add(new EvaluationAttack(AttackFamily.Pgd(evaluation.Norm, pgd.Steps, pgd.RelativeStepSize, randomStart: true, pgd.Restarts, pgd.Seed, box), pgd.TestCount));
        return families;
    }

    /// <summary>
    /// Scores a model under the given families at the given radii (input units), and — when a norm to certify in is given
    /// and the model has a Lipschitz bound — its certified accuracy at the same radii on the whole test set
    /// (<see cref="Certification"/>), as the curve <c>certified-&lt;norm&gt;</c> after the attacks' curves.
    /// </summary>
    public static Fin<ModelScores> Evaluate<T>(IBlock<T> model, Dataset test, IReadOnlyList<EvaluationAttack> families, IReadOnlyList<double> epsilons, InputScale scale,
        AttackNorm? certify = null) =>
        Classification.Accuracy(model, test).Bind(clean =>
        {
            var curves = new List<AttackCurve>();
            foreach (var attack in families)
            {
                var samples = attack.Samples(test);
                var curve = Robustness.AccuracyCurve(model, samples, attack.Family, epsilons.Select(scale.Radius).ToArray());
                if (curve.IsFail) return curve.Map(_ => default(ModelScores)!);
                var points = ((RobustnessCurve)curve).Points.Select((p, i) => new RobustnessPoint(epsilons[i], p.Accuracy)).ToArray();
                curves.Add(new AttackCurve(attack.Family.Name, points, samples.Count < test.Count ? samples.Count : null));
            }
            if (certify is null) return FinSucc(new ModelScores(clean, curves));
            // A model without a known bound (adaptive steps, a field without a Lipschitz constant) has no certified curve.
            var certified = Certification.Certify(model, test, certify);
            if (certified.IsFail) return FinSucc(new ModelScores(clean, curves));
            var result = (CertificationResult)certified;
            var certifiedCurve = result.Curve(epsilons.Select(scale.Radius).ToArray());
            curves.Add(new AttackCurve(certifiedCurve.Attack, certifiedCurve.Points.Select((p, i) => new RobustnessPoint(epsilons[i], p.Accuracy)).ToArray()));
            return FinSucc(new ModelScores(clean, curves) { Bound = result.Bound });
        });
}
