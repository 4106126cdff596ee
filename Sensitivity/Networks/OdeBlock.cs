using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// The ODE block x(T) = Φ(x₀, u): a vector field with piecewise-constant controls, the solver that discretizes
/// it, and the adjoint strategy that differentiates it (default: the exact discrete adjoint).
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed record OdeBlock<T>(IVectorField<T> Field, OdeSolver Solver, IAdjointMethod Adjoint) : IBlock<T>
{
    /// <inheritdoc/>
    public IEngine<T> Engine => Field.Engine;

    /// <inheritdoc/>
    public string Name => "ode";

    /// <inheritdoc/>
    public IReadOnlyList<T> Parameters
    {
        get
        {
            var values = new T[Field.Controls.Count];
            for (int j = 0; j < values.Length; j++) values[j] = Field.Controls[j].Value;
            return values;
        }
    }

    /// <inheritdoc/>
    public IBlock<T> WithParameters(IReadOnlyList<T> values) => this with { Field = Field.WithControls(values) };

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == Field.StateShape.Length + 1 && inputShape.Skip(1).SequenceEqual(Field.StateShape)
            ? FinSucc(inputShape)
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("ODE block input", $"[B, {string.Join(", ", Field.StateShape)}]", ShapeText.Of(inputShape)));

    /// <inheritdoc/>
    /// <remarks>With constant steps: an adaptive controller chooses its steps from the whole batch's error.</remarks>
    public bool RowsIndependent => Solver.Controller is ConstantSteps;

    /// <inheritdoc/>
    /// <remarks>
    /// On an engine with row-block threads (the managed engine with <c>Torch:Threads</c> above one) and constant steps, a
    /// large batch is split into row blocks swept in parallel (<see cref="RowBlockSweep"/>).
    /// </remarks>
    public Fin<IForwardSweep<T>> Forward(T input) =>
        OutputShape(Engine.Shape(input)).Bind(_ => RowBlockSweep.Forward(Adjoint, Field, Solver, input));
}

/// <summary>Builds <see cref="OdeBlock{T}"/> values (the engine comes from the field).</summary>
public static class OdeBlock
{
    /// <summary>The ODE block of a field, discretized by the solver and differentiated by the adjoint (default: discrete).</summary>
    public static OdeBlock<T> Create<T>(IVectorField<T> field, OdeSolver solver, IAdjointMethod? adjoint = null) =>
        new(field, solver, adjoint ?? AdjointMode.Discrete);
}
