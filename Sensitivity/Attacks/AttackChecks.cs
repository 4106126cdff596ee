using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>Checks shared by the attacks, run before anything reaches libtorch.</summary>
internal static class AttackChecks
{
    /// <summary>Settings common to every attack: a finite ε ≥ 0 and a non-empty box.</summary>
    public static IEnumerable<Error> Settings(double epsilon, InputBox? box)
    {
        if (!(epsilon >= 0) || !double.IsFinite(epsilon))
            yield return RobustNodeErrors.InvalidArgument("epsilon", $"the attack radius must be finite and non-negative, got {epsilon}");
        if (box is not null && !(box.Min < box.Max))
            yield return RobustNodeErrors.InvalidArgument("box", $"the input box needs min < max, got {box}");
    }

    /// <summary>Collects errors into one value whose message lists them all.</summary>
    public static Fin<Unit> All(IEnumerable<Error> errors)
    {
        var list = errors.ToList();
        return list.Count switch
        {
            0 => FinSucc(unit),
            1 => FinFail<Unit>(list[0]),
            _ => FinFail<Unit>(Error.New(list[0].Code, string.Join("; ", list.Select(e => e.Message)))),
        };
    }

    /// <summary>x₀ fits the model, the loss has one target per sample, x₀ is floating point and lies in the box.</summary>
    public static Fin<Unit> Inputs<T>(IBlock<T> model, T x0, ILoss<T> loss, InputBox? box)
    {
        var engine = model.Engine;
        if (!engine.IsFloatingPoint(x0))
            return FinFail<Unit>(RobustNodeErrors.InvalidArgument("x0", $"inputs must be floating point, got {engine.DType(x0)}"));
        var shape = model.OutputShape(engine.Shape(x0));
        if (shape.IsFail) return shape.Map(_ => unit);
        long batch = engine.BatchSize(x0);
        if (loss.Count != batch)
            return FinFail<Unit>(RobustNodeErrors.ShapeMismatch("loss targets", $"{batch} (one per input)", loss.Count.ToString()));
        if (box is not null && !box.Contains(engine, x0))
            return FinFail<Unit>(RobustNodeErrors.InvalidArgument("x0", $"clean inputs lie outside the input box {box}; the attack ball around them would not fit"));
        return FinSucc(unit);
    }
}
