using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Core.Engines;
using RobustNode.Solvers.Engines;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Solvers;

/// <summary>
/// The front door for solving: <c>Ode.Solve(field, x0, solver)</c>, like <c>torchdiffeq.odeint</c> or
/// <c>diffrax.diffeqsolve</c>. Inputs are checked here, once, before anything reaches libtorch.
/// </summary>
public static class Ode
{
    /// <summary>The field as a piecewise system whose pieces are its layers.</summary>
    public static PiecewiseSystem<Tensor> System(IVectorField field) =>
        new(Enumerable.Range(0, field.Grid.Layers + 1).Select(field.Grid.Boundary).ToArray(),
            (k, t, x) => field.Evaluate(k, t, x));

    /// <summary>Solves x' = g(u_k, t, x) on [0, T] from the batched state x0 [B, d].</summary>
    public static Fin<OdeSolution<Tensor>> Solve(IVectorField field, Tensor x0, OdeSolver solver, SolveOptions? options = null) =>
        CheckState(field, x0, "x0").Bind(_ => solver.Solve(TensorAlgebra.Instance, System(field), x0, options));

    /// <summary>Solves y' = f(t, y) on [t0, t1] (any tensor shape).</summary>
    public static Fin<OdeSolution<Tensor>> Solve(Func<double, Tensor, Tensor> f, Tensor y0, double t0, double t1, OdeSolver solver, SolveOptions? options = null) =>
        solver.Solve(TensorAlgebra.Instance, PiecewiseSystem<Tensor>.Single(t0, t1, f), y0, options);

    /// <summary>Checks that a state is [B, …] with the field's state shape, dtype and device.</summary>
    public static Fin<Unit> CheckState(IVectorField field, Tensor x, string name)
    {
        var shape = field.StateShape;
        if (x.dim() != shape.Length + 1 || !x.shape.Skip(1).SequenceEqual(shape))
            return FinFail<Unit>(RobustNodeErrors.ShapeMismatch(name, $"[B, {string.Join(", ", shape)}]", "[" + string.Join(", ", x.shape) + "]"));
        if (field.Controls.Count > 0)
        {
            var c = field.Controls[0].Value;
            if (c.dtype != x.dtype) return FinFail<Unit>(RobustNodeErrors.InvalidArgument(name, $"dtype {x.dtype} differs from the field's {c.dtype}"));
            if (c.device_type != x.device_type || c.device_index != x.device_index) return FinFail<Unit>(RobustNodeErrors.InvalidArgument(name, $"on device {x.device}, the field is on {c.device}"));
        }
        return FinSucc(unit);
    }
}
