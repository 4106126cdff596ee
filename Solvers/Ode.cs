using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Solvers;

/// <summary>
/// The front door for solving: <c>Ode.Solve(field, x0, solver)</c>, like <c>torchdiffeq.odeint</c> or
/// <c>diffrax.diffeqsolve</c>. Inputs are checked here, once, before anything reaches an engine.
/// </summary>
public static class Ode
{
    /// <summary>The field as a piecewise system whose pieces are its layers.</summary>
    internal static PiecewiseSystem<T> System<T>(IVectorField<T> field) => new(field.Grid.Boundaries, field.Evaluate);

    /// <summary>Solves x' = g(u_k, t, x) on [0, T] from the batched state x0 [B, …] with the field's engine.</summary>
    public static Fin<OdeSolution<T>> Solve<T>(IVectorField<T> field, T x0, OdeSolver solver, SolveOptions? options = null) =>
        CheckState(field, x0, "x0").Bind(_ => solver.Solve(field.Engine, System(field), x0, options));

    /// <summary>Solves y' = f(t, y) on [t0, t1] for TorchSharp tensors of any shape.</summary>
    public static Fin<OdeSolution<Tensor>> Solve(Func<double, Tensor, Tensor> f, Tensor y0, double t0, double t1, OdeSolver solver, SolveOptions? options = null) =>
        solver.Solve(TorchEngine.Instance, PiecewiseSystem<Tensor>.Single(t0, t1, f), y0, options);

    /// <summary>Checks that a state is [B, …] with the field's state shape, element type and device.</summary>
    internal static Fin<Unit> CheckState<T>(IVectorField<T> field, T x, string name)
    {
        var engine = field.Engine;
        var expected = field.StateShape;
        var shape = engine.Shape(x);
        bool fits = shape.Length == expected.Length + 1;
        for (int i = 0; fits && i < expected.Length; i++) fits = shape[i + 1] == expected[i];
        if (!fits) return FinFail<Unit>(RobustNodeErrors.ShapeMismatch(name, $"[B, {string.Join(", ", expected)}]", ShapeText.Of(shape)));
        if (field.Controls.Count > 0 && engine.Incompatibility(field.Controls[0].Value, x) is { } problem)
            return FinFail<Unit>(RobustNodeErrors.InvalidArgument(name, $"{problem} (the field's)"));
        return FinSucc(unit);
    }
}
