using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Continuous;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// The continuous adjoint ("optimize, then discretize"): the adjoint ODEs of the seed talk (Lemma 1, Theorem 2)
/// solved backwards layer by layer with the problem's solver, fixed or adaptive. It converges to the derivatives
/// of the continuous problem at the scheme's order. Forward states come from the <see cref="StateStrategy"/>;
/// with <see cref="StateStrategy.Backsolve"/> nothing is kept and memory does not grow with the number of steps.
/// </summary>
public sealed record ContinuousAdjoint(StateStrategy Strategy) : IAdjointMethod
{
    /// <inheritdoc/>
    public string Name => Strategy switch
    {
        StateStrategy.Stored => "stored",
        StateStrategy.Checkpoint => "checkpoint",
        _ => "backsolve",
    };

    /// <inheritdoc/>
    public Fin<IForwardSweep<T>> Forward<T>(IVectorField<T> field, OdeSolver solver, T x0) =>
        ForwardTrajectory<T>.Solve(field, solver, Strategy, [x0])
            .Map(trajectory => (IForwardSweep<T>)new Sweep<T>(this, field, solver, x0, trajectory));

    private bool CarriesStates => Strategy is StateStrategy.Backsolve;

    private sealed class Sweep<T>(ContinuousAdjoint adjoint, IVectorField<T> field, OdeSolver solver, T x0, ForwardTrajectory<T> trajectory)
        : IForwardSweep<T>
    {
        public T Final => trajectory.Final[0];
        public SolveStatistics Statistics => trajectory.Statistics;

        public Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls) => Guard(() =>
        {
            var system = new AdjointSystem<T>(field, adjoint.CarriesStates, false, withControls, false, trajectory);
            var first = withControls ? new ControlAccumulator<T>(field.Engine, field.Controls) : null;
            var before = trajectory.Statistics;
            var (state, stats) = Backward(field, solver, system, adjoint.CarriesStates ? [Final, lambdaT] : [lambdaT], first, null);
            return new ReverseResult<T>(state[^1], first?.Gradients ?? [], stats + (trajectory.Statistics - before));
        });

        public Fin<ITangentSweep<T>> Tangent(T sigma0) =>
            ForwardTrajectory<T>.Solve(field, solver, adjoint.Strategy, [x0, sigma0])
                .Map(tangent => (ITangentSweep<T>)new TangentSweep<T>(field, solver, adjoint.CarriesStates, tangent));

        public void Dispose() => trajectory.Dispose();
    }

    private static Fin<TResult> Guard<TResult>(Func<TResult> body)
    {
        try { return FinSucc(body()); }
        catch (RobustNodeException ex) { return FinFail<TResult>(ex.Error); }
    }

    /// <summary>Integrates the adjoint system from T down to 0, one layer at a time, adding each layer's control integrals.</summary>
    private static (T[] State, SolveStatistics Statistics) Backward<T>(IVectorField<T> field, OdeSolver solver, AdjointSystem<T> system, T[] terminal,
        ControlAccumulator<T>? first, ControlAccumulator<T>? second)
    {
        var engine = field.Engine;
        var algebra = new TupleAlgebra<T>(engine);
        var grid = field.Grid;
        var breakpoints = new double[2];
        var layerSystem = new PiecewiseSystem<T[]>(breakpoints, system.Rhs);
        var states = terminal;
        var statistics = SolveStatistics.Zero;
        for (int k = grid.Layers - 1; k >= 0; k--)
        {
            // One system for the whole sweep: its interval and layer move down the grid.
            (breakpoints[0], breakpoints[1]) = (grid.Boundary(k + 1), grid.Boundary(k));
            system.Layer = k;
            var start = system.Start(states);
            var solution = solver.Solve(algebra, layerSystem, start).Match(s => s, e => throw new RobustNodeException(e));
            statistics += solution.Statistics;
            var (u1, u2) = system.Integrals(solution.Final);
            first?.Add(k, u1);
            second?.Add(k, u2);
            // Free the previous layer's tuple so memory stays flat in the number of layers.
            for (int i = system.StateParts; i < start.Length; i++) engine.Release(start[i]);
            foreach (var part in u1) engine.Release(part);
            foreach (var part in u2) engine.Release(part);
            if (!ReferenceEquals(states, terminal)) foreach (var part in states) engine.Release(part);
            states = solution.Final[..system.StateParts];
        }
        return (states, statistics);
    }

    private sealed class TangentSweep<T>(IVectorField<T> field, OdeSolver solver, bool carries, ForwardTrajectory<T> tangent) : ITangentSweep<T>
    {
        public T Final => tangent.Final[1];
        public SolveStatistics Statistics => tangent.Statistics;

        public Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT) => Guard(() =>
        {
            var system = new AdjointSystem<T>(field, carries, true, true, true, tangent);
            var first = new ControlAccumulator<T>(field.Engine, field.Controls);
            var second = new ControlAccumulator<T>(field.Engine, field.Controls);
            var before = tangent.Statistics;
            T[] terminal = carries ? [tangent.Final[0], tangent.Final[1], lambdaT, muT] : [lambdaT, muT];
            var (state, stats) = Backward(field, solver, system, terminal, first, second);
            return new SecondOrderReverseResult<T>(state[^2], state[^1], first.Gradients, second.Gradients, stats + (tangent.Statistics - before));
        });

        public void Dispose() => tangent.Dispose();
    }
}
