using LanguageExt;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Evaluation;

/// <summary>An attack of a suite: its family and how many test samples it attacks (the first ones; 0: all).</summary>
/// <param name="Family">The attack as a function of its radius.</param>
/// <param name="TestCount">The first test samples it attacks, 0 for all: iterative attacks on images may take a subset.</param>
public sealed record SuiteAttack(AttackFamily Family, int TestCount = 0)
{
    /// <summary>How many of <paramref name="available"/> test samples it attacks.</summary>
    public int Samples(int available) => TestCount > 0 ? Math.Min(TestCount, available) : available;
}

/// <summary>
/// Robustness under a suite of attacks, measured per sample: every attack at every radius on its samples, the clean
/// predictions, the worst case per sample over the suite — robust accuracy — and, at a radius that covers the data, the
/// check that the attacks break every model there.
/// </summary>
public static class AttackSuite
{
    /// <summary>
    /// Runs the suite. Radii are given in input units and multiplied by <paramref name="radiusScale"/> (network units per
    /// input unit: 1/σ for standardised inputs) before the attacks see them; <paramref name="coveringRadius"/>, in input
    /// units, adds the covering check (every attack on the samples every attack saw).
    /// </summary>
    public static Fin<SuiteResult> Evaluate<T>(IBlock<T> model, Dataset test, IReadOnlyList<SuiteAttack> attacks, IReadOnlyList<double> epsilons,
        double radiusScale = 1, double? coveringRadius = null, int chunk = Robustness.DefaultChunk)
    {
        var engine = model.Engine;
        var all = EngineDataset<T>.From(engine, test);
        var clean = Classification.Correct(model, all);
        if (clean.IsFail) return clean.Map(_ => default(SuiteResult)!);
        var outcomes = new List<AttackOutcome>();
        foreach (var attack in attacks)
        {
            int n = attack.Samples(test.Count);
            var samples = n == test.Count ? all : EngineDataset<T>.From(engine, test.First(n));
            var perRadius = new List<bool[]>();
            foreach (var epsilon in epsilons)
            {
                var correct = Robustness.CorrectUnderAttack(model, samples, attack.Family.At(epsilon * radiusScale), chunk);
                if (correct.IsFail) return correct.Map(_ => default(SuiteResult)!);
                perRadius.Add((bool[])correct);
            }
            outcomes.Add(new AttackOutcome(attack.Family.Name, attack.Family.GradientFree, epsilons, perRadius));
        }
        var cleanCorrect = (bool[])clean;
        int common = attacks.Count == 0 ? test.Count : attacks.Min(a => a.Samples(test.Count));
        var worst = WorstCase.Of(cleanCorrect, outcomes, epsilons, common);
        CoveringOutcome? covering = null;
        if (coveringRadius is { } radius)
        {
            var samples = common == test.Count ? all : EngineDataset<T>.From(engine, test.First(common));
            var perAttack = new List<(string, bool[])>();
            foreach (var attack in attacks)
            {
                var correct = Robustness.CorrectUnderAttack(model, samples, attack.Family.At(radius * radiusScale), chunk);
                if (correct.IsFail) return correct.Map(_ => default(SuiteResult)!);
                perAttack.Add((attack.Family.Name, (bool[])correct));
            }
            covering = CoveringOutcome.Of(radius, cleanCorrect, perAttack, ClassCounts(test, common));
        }
        return FinSucc(new SuiteResult(cleanCorrect, outcomes, worst, covering));
    }

    private static int[] ClassCounts(Dataset test, int samples)
    {
        var counts = new int[test.Classes];
        foreach (var label in test.Labels.narrow(0, 0, samples).data<long>()) counts[label]++;
        return counts;
    }
}

/// <summary>Per sample, whether one attack left it classified correctly, at every radius.</summary>
/// <param name="Attack">The family's name, e.g. <c>apgd-ce-inf</c>.</param>
/// <param name="GradientFree">True for attacks that only query outputs.</param>
/// <param name="Epsilons">The radii, in input units, in the configured order.</param>
/// <param name="Correct">Per radius, per attacked sample (the first ones of the test set).</param>
public sealed record AttackOutcome(string Attack, bool GradientFree, IReadOnlyList<double> Epsilons, IReadOnlyList<bool[]> Correct)
{
    /// <summary>How many test samples the attack attacked.</summary>
    public int Samples => Correct.Count == 0 ? 0 : Correct[0].Length;

    /// <summary>The accuracy at each radius.</summary>
    public IReadOnlyList<double> Accuracies => Correct.Select(Fraction.Of).ToArray();
}

/// <summary>
/// Robust accuracy as the worst case per sample over a suite: sample i counts as correct at radius ε when it is classified
/// correctly without attack and after every attack of radius ε, and after every attack of every smaller radius — an
/// adversarial example inside a smaller ball lies inside the larger one too. Measured on the first <see cref="Samples"/>
/// test samples, the ones every attack saw.
/// </summary>
/// <param name="Epsilons">The radii, in input units, in the configured order.</param>
/// <param name="Correct">Per radius, per sample.</param>
/// <param name="Attacks">The attacks it is the worst case of.</param>
public sealed record WorstCase(IReadOnlyList<double> Epsilons, IReadOnlyList<bool[]> Correct, IReadOnlyList<string> Attacks)
{
    /// <summary>The samples it is measured on (the first ones of the test set).</summary>
    public int Samples => Correct.Count == 0 ? 0 : Correct[0].Length;

    /// <summary>The accuracy at each radius.</summary>
    public IReadOnlyList<double> Accuracies => Correct.Select(Fraction.Of).ToArray();

    /// <summary>The worst case over the outcomes, on their first <paramref name="samples"/> samples.</summary>
    internal static WorstCase Of(bool[] clean, IReadOnlyList<AttackOutcome> outcomes, IReadOnlyList<double> epsilons, int samples)
    {
        var correct = epsilons.Select(_ => new bool[samples]).ToArray();
        var ascending = Enumerable.Range(0, epsilons.Count).OrderBy(j => epsilons[j]).ToArray();
        for (int i = 0; i < samples; i++)
        {
            bool broken = !clean[i];
            foreach (int j in ascending)
            {
                foreach (var outcome in outcomes) broken |= !outcome.Correct[j][i];
                correct[j][i] = !broken;
            }
        }
        return new WorstCase(epsilons, correct, outcomes.Select(o => o.Attack).ToArray());
    }
}

/// <summary>
/// The check at a radius that covers the data: there every test point can be moved onto any other, so a model that
/// predicts more than one class has an adversarial example for every sample, and no better than the most frequent class
/// (a constant prediction) may survive. A worst case above that chance level means the attacks miss examples that exist.
/// </summary>
/// <param name="Radius">The covering radius, in input units.</param>
/// <param name="Samples">The samples checked (the first ones, which every attack saw).</param>
/// <param name="Chance">The share of the most frequent class among them.</param>
/// <param name="WorstCase">The accuracy of the worst case per sample over the suite at the radius.</param>
/// <param name="Attacks">Each attack's accuracy at the radius.</param>
public sealed record CoveringOutcome(double Radius, int Samples, double Chance, double WorstCase, IReadOnlyList<(string Attack, double Accuracy)> Attacks)
{
    /// <summary>True when the worst case falls to the chance level or below.</summary>
    public bool Drops => WorstCase <= Chance;

    /// <summary>The outcome from each attack's per-sample results and the class counts of the samples.</summary>
    internal static CoveringOutcome Of(double radius, bool[] clean, IReadOnlyList<(string Attack, bool[] Correct)> attacks, int[] classCounts)
    {
        int samples = classCounts.Sum();
        var worst = new bool[samples];
        for (int i = 0; i < samples; i++) worst[i] = clean[i] && attacks.All(a => a.Correct[i]);
        return new CoveringOutcome(radius, samples, classCounts.Max() / (double)Math.Max(samples, 1), Fraction.Of(worst),
            attacks.Select(a => (a.Attack, Fraction.Of(a.Correct))).ToArray());
    }
}

/// <summary>Everything a suite measured: clean correctness, every attack, the worst case and the covering check.</summary>
public sealed record SuiteResult(bool[] Clean, IReadOnlyList<AttackOutcome> Attacks, WorstCase WorstCase, CoveringOutcome? Covering)
{
    /// <summary>The clean accuracy on the whole test set.</summary>
    public double CleanAccuracy => Fraction.Of(Clean);
}

/// <summary>The share of true values.</summary>
internal static class Fraction
{
    public static double Of(bool[] values) => values.Length == 0 ? double.NaN : values.Count(v => v) / (double)values.Length;
}
