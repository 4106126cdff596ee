using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Evaluation;

/// <summary>
/// Accuracy under attack: the fraction of samples still classified as their label after each input is replaced by
/// the attack's adversarial example (computed against the sample's true label), and its curve over attack radii.
/// </summary>
public static class Robustness
{
    /// <summary>Rows attacked at once.</summary>
    public const int DefaultChunk = 1024;

    /// <summary>The accuracy on the attacked data set (equal to the clean accuracy for ε = 0).</summary>
    public static Fin<double> AccuracyUnderAttack<T>(IBlock<T> model, Dataset data, IAttack attack, int chunk = DefaultChunk) =>
        AccuracyUnderAttack(model, EngineDataset<T>.From(model.Engine, data), attack, chunk);

    /// <summary>The accuracy on the attacked data set, for a data set in the engine's form.</summary>
    public static Fin<double> AccuracyUnderAttack<T>(IBlock<T> model, EngineDataset<T> data, IAttack attack, int chunk = DefaultChunk)
    {
        var engine = model.Engine;
        long correct = 0;
        for (long start = 0; start < data.Count; start += chunk)
        {
            using var scope = engine.OpenScope();
            var (x, labels) = data.Rows(start, Math.Min(chunk, data.Count - start));
            var logits = attack.Perturb(model, x, new CrossEntropyLoss<T>(engine, labels)).Bind(adversarial => Inference.Output(model, adversarial));
            if (logits.IsFail) return logits.Map(_ => 0.0);
            correct += engine.CountEqual(engine.ArgMax((T)logits), labels);
        }
        return correct / (double)data.Count;
    }

    /// <summary>Accuracy under the family's attack at every radius, in the order given.</summary>
    public static Fin<RobustnessCurve> AccuracyCurve<T>(IBlock<T> model, Dataset data, AttackFamily family, IReadOnlyList<double> epsilons, int chunk = DefaultChunk)
    {
        var converted = EngineDataset<T>.From(model.Engine, data);
        var points = new List<RobustnessPoint>();
        foreach (var epsilon in epsilons)
        {
            var accuracy = AccuracyUnderAttack(model, converted, family.At(epsilon), chunk);
            if (accuracy.IsFail) return accuracy.Map(_ => default(RobustnessCurve)!);
            points.Add(new RobustnessPoint(epsilon, (double)accuracy));
        }
        return new RobustnessCurve(family.Name, points);
    }
}

/// <summary>Accuracy under an attack of radius ε.</summary>
public sealed record RobustnessPoint(double Epsilon, double Accuracy);

/// <summary>Accuracy versus attack radius for one attack family (e.g. "fgsm-inf", "pgd10-inf").</summary>
public sealed record RobustnessCurve(string Attack, IReadOnlyList<RobustnessPoint> Points);
