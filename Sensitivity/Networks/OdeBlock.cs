using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// The ODE block x(T) = Φ(x₀, u): a vector field with piecewise-constant controls, the solver that discretizes
/// it, and the adjoint strategy that differentiates it (default: the exact discrete adjoint).
/// </summary>
public sealed record OdeBlock(IVectorField Field, OdeSolver Solver, IAdjointMethod Adjoint) : IBlock
{
    public string Name => "ode";

    public IReadOnlyList<Tensor> Parameters => Field.Controls.Select(c => c.Value).ToArray();

    public IBlock WithParameters(IReadOnlyList<Tensor> values) => this with { Field = Field.WithControls(values) };

    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == Field.StateShape.Length + 1 && inputShape.Skip(1).SequenceEqual(Field.StateShape)
            ? FinSucc(inputShape)
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("ODE block input", $"[B, {string.Join(", ", Field.StateShape)}]", "[" + string.Join(", ", inputShape) + "]"));

    public Fin<IForwardSweep> Forward(Tensor input) =>
        OutputShape(input.shape).Bind(_ => Adjoint.Forward(Field, Solver, input));
}
