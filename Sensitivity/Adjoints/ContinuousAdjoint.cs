using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Continuous;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using RobustNode.Core.Engines;
using RobustNode.Solvers.Engines;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// The continuous adjoint ("optimize, then discretize"): the adjoint ODEs of the seed talk (Lemma 1, Theorem 2)
/// solved backwards layer by layer with the problem's solver, fixed or adaptive. It converges to the derivatives
/// of the continuous problem at the scheme's order. Forward states come from the <see cref="StateStrategy"/>;
/// with <see cref="StateStrategy.Backsolve"/> nothing is kept and memory does not grow with the number of steps.
/// </summary>
public sealed record ContinuousAdjoint(StateStrategy Strategy) : IAdjointMethod
{
    private static readonly TupleAlgebra<Tensor> Algebra = new(TensorAlgebra.Instance);

    public string Name => Strategy switch
    {
        StateStrategy.Stored => "stored",
        StateStrategy.Checkpoint => "checkpoint",
        _ => "backsolve",
    };

    public Fin<IForwardSweep> Forward(IVectorField field, OdeSolver solver, Tensor x0) =>
        ForwardTrajectory.Solve(field, solver, Strategy, [x0])
            .Map(trajectory => (IForwardSweep)new Sweep(this, field, solver, x0, trajectory));

    private bool CarriesStates => Strategy is StateStrategy.Backsolve;

    private sealed class Sweep(ContinuousAdjoint adjoint, IVectorField field, OdeSolver solver, Tensor x0, ForwardTrajectory trajectory) : IForwardSweep
    {
        public Tensor Final => trajectory.Final[0];
        public SolveStatistics Statistics => trajectory.Statistics;

        public Fin<ReverseResult> Reverse(Tensor lambdaT, bool withControls) => Guard(() =>
        {
            var system = new AdjointSystem(field, adjoint.CarriesStates, false, withControls, false, trajectory);
            var first = withControls ? new ControlAccumulator(field.Controls) : null;
            var before = trajectory.Statistics;
            var (state, stats) = Backward(field, solver, system, adjoint.CarriesStates ? [Final, lambdaT] : [lambdaT], first, null);
            return new ReverseResult(state[^1], first?.Gradients ?? [], stats + (trajectory.Statistics - before));
        });

        public Fin<ITangentSweep> Tangent(Tensor sigma0) =>
            ForwardTrajectory.Solve(field, solver, adjoint.Strategy, [x0, sigma0])
                .Map(tangent => (ITangentSweep)new TangentSweep(field, solver, adjoint.CarriesStates, tangent));

        public void Dispose() => trajectory.Dispose();
    }

    private static Fin<T> Guard<T>(Func<T> body)
    {
        try { return FinSucc(body()); }
        catch (RobustNodeException ex) { return FinFail<T>(ex.Error); }
    }

    /// <summary>Integrates the adjoint system from T down to 0, one layer at a time, adding each layer's control integrals.</summary>
    private static (Tensor[] State, SolveStatistics Statistics) Backward(IVectorField field, OdeSolver solver, AdjointSystem system, Tensor[] terminal,
        ControlAccumulator? first, ControlAccumulator? second)
    {
        var grid = field.Grid;
        var states = terminal;
        var statistics = SolveStatistics.Zero;
        for (int k = grid.Layers - 1; k >= 0; k--)
        {
            int layer = k;
            var layerSystem = new PiecewiseSystem<Tensor[]>([grid.Boundary(k + 1), grid.Boundary(k)], (_, t, y) => system.Rhs(layer, t, y));
            var start = system.Start(k, states);
            var solution = solver.Solve(Algebra, layerSystem, start).Match(s => s, e => throw new RobustNodeException(e));
            statistics += solution.Statistics;
            var (u1, u2) = system.Integrals(solution.Final);
            first?.Add(k, u1);
            second?.Add(k, u2);
            // Free the previous layer's tuple so memory stays flat in the number of layers.
            foreach (var part in start[system.StateParts..].Concat(u1).Concat(u2)) part.Dispose();
            if (!ReferenceEquals(states, terminal)) foreach (var part in states) part.Dispose();
            states = solution.Final[..system.StateParts];
        }
        return (states, statistics);
    }

    private sealed class TangentSweep(IVectorField field, OdeSolver solver, bool carries, ForwardTrajectory tangent) : ITangentSweep
    {
        public Tensor Final => tangent.Final[1];
        public SolveStatistics Statistics => tangent.Statistics;

        public Fin<SecondOrderReverseResult> Reverse(Tensor lambdaT, Tensor muT) => Guard(() =>
        {
            var system = new AdjointSystem(field, carries, true, true, true, tangent);
            var first = new ControlAccumulator(field.Controls);
            var second = new ControlAccumulator(field.Controls);
            var before = tangent.Statistics;
            Tensor[] terminal = carries ? [tangent.Final[0], tangent.Final[1], lambdaT, muT] : [lambdaT, muT];
            var (state, stats) = Backward(field, solver, system, terminal, first, second);
            return new SecondOrderReverseResult(state[^2], state[^1], first.Gradients, second.Gradients, stats + (tangent.Statistics - before));
        });

        public void Dispose() => tangent.Dispose();
    }
}
