using LanguageExt;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Lipschitz;

/// <summary>
/// The step rules of a model's gradient-flow blocks (<see cref="IStepConstrainedField"/>) and the norm bounds of its
/// constrained convolutions and read-outs (<see cref="INormConstrainedBlock"/>): checked, and restored by projection
/// after parameters change — the trainer projects after every optimizer step (with the tracked norm of gradient-flow
/// convolutions) and at the end of every epoch (with the proven norm), so every checkpoint and every finished model
/// keeps the rule exactly. Each block's step size comes from its solver's constant steps. Norm-constrained blocks
/// project with the exact norm (dense) or the proven bound (convolutions) every time: their norms are cheap.
/// </summary>
public static class StepConstraints
{
    /// <summary>True when the model has a block whose field keeps a step rule or whose operator keeps a norm bound.</summary>
    public static bool Any<T>(IBlock<T> model) => Blocks(model).Any() || NormBlocks(model).Any();

    /// <summary>Projects every constrained block of the model back onto its rule or bound, in place.</summary>
    public static Fin<Unit> Restore<T>(IBlock<T> model, ConstraintNorm norm = ConstraintNorm.Proven)
    {
        foreach (var block in NormBlocks(model)) block.Constrain();
        foreach (var (block, field) in Blocks(model))
        {
            var steps = OdeBlockSteps.Of(block);
            if (steps.IsFail) return steps.Map(_ => unit);
            field.Constrain(((OdeBlockSteps)steps).Size, norm);
        }
        return FinSucc(unit);
    }

    /// <summary>
    /// The gradient with respect to the model's free parameters from the one with respect to its parameters, block by
    /// block in the order of <see cref="IBlock{T}.Parameters"/>: fields that reparametrise their controls
    /// (<see cref="IReparametrisedField{T}"/>) map theirs, every other gradient passes unchanged.
    /// </summary>
    public static IReadOnlyList<T> FreeParameterGradients<T>(IBlock<T> model, IReadOnlyList<T> gradients)
    {
        if (gradients.Count != model.Parameters.Count)
            throw new ArgumentException($"expected {model.Parameters.Count} gradients, got {gradients.Count}", nameof(gradients));
        if (model is Network<T> network)
        {
            var result = new List<T>(gradients.Count);
            int offset = 0;
            foreach (var block in network.Blocks)
            {
                int n = block.Parameters.Count;
                result.AddRange(FreeParameterGradients(block, gradients.Skip(offset).Take(n).ToArray()));
                offset += n;
            }
            return result;
        }
        return model is OdeBlock<T> { Field: IReparametrisedField<T> field } ? field.FreeParameterGradients(gradients) : gradients;
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

    /// <summary>Every norm-constrained block of the model against its bound, in order: (block name, ‖W‖₂, c).</summary>
    public static IReadOnlyList<(string Block, double Norm, double Bound)> CheckNorms<T>(IBlock<T> model) =>
        NormBlocks(model).Select(b => (((IBlock<T>)b).Name, b.OperatorNorm(), b.NormBound!.Value)).ToArray();

    private static IEnumerable<INormConstrainedBlock> NormBlocks<T>(IBlock<T> model) => model switch
    {
        Network<T> network => network.Blocks.SelectMany(NormBlocks),
        INormConstrainedBlock { NormBound: not null } block => [block],
        _ => [],
    };

    private static IEnumerable<(OdeBlock<T> Block, IStepConstrainedField Field)> Blocks<T>(IBlock<T> model) => model switch
    {
        Network<T> network => network.Blocks.SelectMany(Blocks),
        OdeBlock<T> { Field: IStepConstrainedField field } ode => [(ode, field)],
        _ => [],
    };
}
