using LanguageExt;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Lipschitz;

/// <summary>
/// The step rules of a model's gradient-flow blocks (<see cref="IStepConstrainedField"/>): checked, and restored by
/// projection after parameters change — the trainer projects after every optimizer step (with the tracked norm of
/// convolutions) and at the end of every epoch (with the proven norm), so every checkpoint and every finished model
/// keeps the rule exactly. Each block's step size comes from its solver's constant steps.
/// </summary>
public static class StepConstraints
{
    /// <summary>True when the model has a block whose field keeps a step rule.</summary>
    public static bool Any<T>(IBlock<T> model) => Blocks(model).Any();

    /// <summary>Projects every constrained block of the model back onto its rule, in place.</summary>
    public static Fin<Unit> Restore<T>(IBlock<T> model, ConstraintNorm norm = ConstraintNorm.Proven)
    {
        foreach (var (block, field) in Blocks(model))
        {
            var steps = OdeBlockSteps.Of(block);
            if (steps.IsFail) return steps.Map(_ => unit);
            field.Constrain(((OdeBlockSteps)steps).Size, norm);
        }
        return FinSucc(unit);
    }

    /// <summary>Every constrained layer of the model against its rule, block by block in order.</summary>
    public static Fin<IReadOnlyList<StepRuleCheck>> Check<T>(IBlock<T> model)
    {
        var checks = new List<StepRuleCheck>();
        foreach (var (block, field) in Blocks(model))
        {
            var steps = OdeBlockSteps.Of(block);
            if (steps.IsFail) return steps.Map(_ => (IReadOnlyList<StepRuleCheck>)checks);
            checks.AddRange(field.Check(((OdeBlockSteps)steps).Size));
        }
        return FinSucc<IReadOnlyList<StepRuleCheck>>(checks);
    }

    private static IEnumerable<(OdeBlock<T> Block, IStepConstrainedField Field)> Blocks<T>(IBlock<T> model) => model switch
    {
        Network<T> network => network.Blocks.SelectMany(Blocks),
        OdeBlock<T> { Field: IStepConstrainedField field } ode => [(ode, field)],
        _ => [],
    };
}
