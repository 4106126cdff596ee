using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Solvers;

namespace RobustNode.Sensitivity.Problems;

/// <summary>
/// What a sensitivity computation is about: the network x' = g(u, x) on its layer grid, the batch of
/// inputs x₀ [B, d], the terminal loss (targets bound in) and the solver that discretizes the flow.
/// </summary>
/// <typeparam name="T">The engine's tensor type (the field's, the inputs' and the loss's).</typeparam>
public sealed record SensitivityProblem<T>(IVectorField<T> Field, T X0, ILoss<T> Loss, OdeSolver Solver)
{
    /// <summary>Batch size B.</summary>
    public long BatchSize => Field.Engine.BatchSize(X0);
}

/// <summary>Builds <see cref="SensitivityProblem{T}"/> values (the engine type is inferred).</summary>
public static class SensitivityProblem
{
    /// <summary>The problem of a field, inputs, loss and solver.</summary>
    public static SensitivityProblem<T> Create<T>(IVectorField<T> field, T x0, ILoss<T> loss, OdeSolver solver) => new(field, x0, loss, solver);
}
