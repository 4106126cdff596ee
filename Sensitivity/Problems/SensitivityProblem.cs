using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Solvers;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Problems;

/// <summary>
/// What a sensitivity computation is about: the network x' = g(u, x) on its layer grid, the batch of
/// inputs x₀ [B, d], the terminal loss (targets bound in) and the solver that discretizes the flow.
/// </summary>
public sealed record SensitivityProblem(IVectorField Field, Tensor X0, ILoss Loss, OdeSolver Solver)
{
    /// <summary>Batch size B.</summary>
    public long BatchSize => X0.shape[0];
}
