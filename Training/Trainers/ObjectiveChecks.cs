using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;

namespace RobustNode.Training.Trainers;

/// <summary>The settings checks and result handling the robust objectives share.</summary>
internal static class ObjectiveChecks
{
    /// <summary>A finite radius ε ≥ 0.</summary>
    public static IEnumerable<Error> Radius(double epsilon)
    {
        if (!(epsilon >= 0) || !double.IsFinite(epsilon))
            yield return TrainingErrors.InvalidConfiguration("objective.epsilon", $"must be finite and non-negative, got {epsilon}");
    }

    /// <summary>A finite weight ≥ 0.</summary>
    public static IEnumerable<Error> Weight(string name, double weight)
    {
        if (!(weight >= 0) || !double.IsFinite(weight))
            yield return TrainingErrors.InvalidConfiguration($"objective.{name}", $"must be finite and non-negative, got {weight}");
    }

    /// <summary>At least one ascent step, of a positive finite size when one is given.</summary>
    public static IEnumerable<Error> Steps(int steps, double? stepSize)
    {
        if (steps < 1) yield return TrainingErrors.InvalidConfiguration("objective.steps", $"must be at least 1, got {steps}");
        foreach (var e in StepSize(stepSize)) yield return e;
    }

    /// <summary>A positive finite step size when one is given.</summary>
    public static IEnumerable<Error> StepSize(double? stepSize)
    {
        if (stepSize is { } a && (!(a > 0) || !double.IsFinite(a)))
            yield return TrainingErrors.InvalidConfiguration("objective.stepSize", $"must be positive and finite, got {a}");
    }

    /// <summary>A warm-up of zero or more epochs and a non-empty input box.</summary>
    public static IEnumerable<Error> Schedule(int warmupEpochs, InputBox? box)
    {
        if (warmupEpochs < 0) yield return TrainingErrors.InvalidConfiguration("objective.warmupEpochs", $"must be non-negative, got {warmupEpochs}");
        if (box is not null && !(box.Min < box.Max))
            yield return TrainingErrors.InvalidConfiguration("objective.box", $"the input box needs min < max, got {box}");
    }

    /// <summary>The objective itself when there are no problems, else one error listing them all.</summary>
    public static Fin<ITrainingObjective> Collect(ITrainingObjective objective, IEnumerable<Error> errors) =>
        TrainingErrors.All(errors).Map(_ => objective);

    /// <summary>The mini-batch fits the model and the loss, and lies in the box (checked before anything is computed).</summary>
    public static Fin<Unit> Inputs<T>(IBlock<T> model, T x, Core.Losses.ILoss<T> loss, InputBox? box) => AttackChecks.Inputs(model, x, loss, box);

    /// <summary>The result's values moved out of the current engine scope.</summary>
    public static ObjectiveResult<T> Keep<T>(this ObjectiveResult<T> result, IEngine<T> engine)
    {
        var gradients = new T[result.Gradients.Count];
        for (int i = 0; i < gradients.Length; i++) gradients[i] = engine.Keep(result.Gradients[i]);
        return result with { Gradients = gradients, Logits = engine.Keep(result.Logits) };
    }
}
