using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers.Control;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Lipschitz;

/// <summary>The constant steps of an ODE block: every layer of width T/N is covered by n equal steps of size h = (T/N)/n.</summary>
/// <param name="PerLayer">Steps n per layer.</param>
/// <param name="Size">Step size h.</param>
internal sealed record OdeBlockSteps(int PerLayer, double Size)
{
    /// <summary>
    /// The steps a block's solver takes on each layer, as the solver's controller chooses them. Adaptive steps depend on
    /// the input, so a block stepped adaptively has no fixed step size (and no Lipschitz bound or step rule from it).
    /// </summary>
    public static Fin<OdeBlockSteps> Of<T>(OdeBlock<T> block)
    {
        if (block.Solver.Controller is not ConstantSteps steps)
            return FinFail<OdeBlockSteps>(RobustNodeErrors.InvalidArgument("solver",
                $"the ODE block is stepped adaptively ({block.Solver.Tableau.Name}), so its step sizes depend on the input; bounds and step rules need constant steps"));
        double width = block.Field.Grid.LayerWidth;
        double h = steps.FirstStep(0, width, double.NaN, double.NaN);
        return FinSucc(new OdeBlockSteps(Math.Max(1, (int)Math.Round(width / h)), h));
    }
}
