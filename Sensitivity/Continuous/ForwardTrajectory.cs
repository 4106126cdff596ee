using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers;
using RobustNode.Solvers.Dense;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Continuous;

/// <summary>
/// The forward solution of the state tuple (x) or (x, s) with s' = g_x s, kept as the strategy says, so the
/// backward solve can ask for it at any time of a layer.
/// </summary>
internal sealed class ForwardTrajectory<T> : IDisposable
{
    private readonly IVectorField<T> _field;
    private readonly IEngine<T> _engine;
    private readonly OdeSolver _solver;
    private readonly StateStrategy _strategy;
    private readonly bool _withTangent;
    private readonly TupleAlgebra<T> _algebra;
    private DenseSolution<T[]>? _dense;
    private readonly List<T[]> _checkpoints = [];
    private int _cachedBlock = -1;
    private readonly System.Collections.Generic.HashSet<T> _cachedTensors = new(ValueIdentity<T>.Instance);

    public T[] Final { get; private set; } = [];
    public SolveStatistics Statistics { get; private set; } = SolveStatistics.Zero;

    private ForwardTrajectory(IVectorField<T> field, OdeSolver solver, StateStrategy strategy, bool withTangent)
    {
        (_field, _solver, _strategy, _withTangent) = (field, solver, strategy, withTangent);
        _engine = field.Engine;
        _algebra = new TupleAlgebra<T>(_engine);
    }

    /// <summary>The tuple system on layers from … to: x' = g(x), and s' = g_x s when a tangent is carried.</summary>
    private PiecewiseSystem<T[]> System(int fromLayer, int toLayer)
    {
        var breakpoints = new double[toLayer - fromLayer + 1];
        for (int k = fromLayer; k <= toLayer; k++) breakpoints[k - fromLayer] = _field.Grid.Boundary(k);
        return new PiecewiseSystem<T[]>(breakpoints, new TupleRhs(_field, _withTangent, fromLayer).Rates);
    }

    /// <summary>Solves forward from the initial tuple, keeping what the strategy asks for.</summary>
    public static Fin<ForwardTrajectory<T>> Solve(IVectorField<T> field, OdeSolver solver, StateStrategy strategy, T[] initial)
    {
        var trajectory = new ForwardTrajectory<T>(field, solver, strategy, initial.Length == 2);
        var algebra = trajectory._algebra;
        int n = field.Grid.Layers;
        switch (strategy)
        {
            case StateStrategy.Stored:
                return solver.Solve(algebra, trajectory.System(0, n), initial, new SolveOptions(Dense: true))
                    .Map(sol => { trajectory._dense = sol.Dense; trajectory.Final = sol.Final; trajectory.Statistics = sol.Statistics; return trajectory; });
            case StateStrategy.Checkpoint c:
                var state = initial;
                for (int k = 0; k < n; k += c.LayersPerCheckpoint)
                {
                    trajectory._checkpoints.Add(state);
                    var block = solver.Solve(algebra, trajectory.System(k, Math.Min(n, k + c.LayersPerCheckpoint)), state);
                    if (block.IsFail) return block.Map(_ => trajectory);
                    var sol = (OdeSolution<T[]>)block;
                    trajectory.Statistics += sol.Statistics;
                    state = sol.Final;
                }
                trajectory.Final = state;
                return FinSucc(trajectory);
            default:
                return solver.Solve(algebra, trajectory.System(0, n), initial)
                    .Map(sol => { trajectory.Final = sol.Final; trajectory.Statistics = sol.Statistics; return trajectory; });
        }
    }

    /// <summary>The state tuple at time t of a layer (recomputing the layer's block from its checkpoint if needed).</summary>
    public T[] At(int layer, double t)
    {
        if (_strategy is StateStrategy.Checkpoint c)
        {
            int block = layer / c.LayersPerCheckpoint;
            if (block != _cachedBlock) Recompute(block, c.LayersPerCheckpoint);
        }
        return _dense!.Evaluate(t, layer);
    }

    private void Recompute(int block, int layersPerCheckpoint)
    {
        int from = block * layersPerCheckpoint, to = Math.Min(_field.Grid.Layers, from + layersPerCheckpoint);
        foreach (var tensor in _cachedTensors) _engine.Release(tensor);
        _cachedTensors.Clear();
        using (_engine.OpenScope())
        {
            var checkpoint = _checkpoints[block];
            var sol = _solver.Solve(_algebra, System(from, to), checkpoint, new SolveOptions(Dense: true))
                .Match(s => s, e => throw new RobustNodeException(e));
            // The block's dense output must outlive the backward step that asked for it.
            var segments = new DenseSegment<T[]>[sol.Dense!.Segments.Count];
            for (int i = 0; i < segments.Length; i++)
            {
                var seg = sol.Dense.Segments[i];
                Own(seg.Y0, checkpoint);
                Own(seg.Y1, checkpoint);
                Own(seg.F0, checkpoint);
                Own(seg.F1, checkpoint);
                if (seg.YMid is { } mid) Own(mid, checkpoint);
                segments[i] = seg with { Piece = seg.Piece + from };
            }
            Statistics += sol.Statistics;
            _dense = new DenseSolution<T[]>(_algebra, segments);
        }
        _cachedBlock = block;
    }

    // Takes the parts of a recomputed tuple out of the scope (the checkpoint's own parts are owned elsewhere).
    private void Own(T[] parts, T[] checkpoint)
    {
        foreach (var part in parts)
        {
            if (Holds(checkpoint, part) || !_cachedTensors.Add(part)) continue;
            _engine.DetachFromScope(part);
        }
    }

    private static bool Holds(T[] parts, T value)
    {
        foreach (var part in parts)
            if (ValueIdentity<T>.Instance.Equals(part, value)) return true;
        return false;
    }

    /// <summary>Frees a recomputed block.</summary>
    public void Dispose()
    {
        foreach (var tensor in _cachedTensors) _engine.Release(tensor);
        _cachedTensors.Clear();
    }

    /// <summary>The tuple rates on the layers of one solve, with one linearization reused from point to point.</summary>
    private sealed class TupleRhs(IVectorField<T> field, bool withTangent, int fromLayer)
    {
        private FieldLinearization<T>? _point;

        public T[] Rates(int piece, double t, T[] y)
        {
            int layer = fromLayer + piece;
            if (!withTangent) return [field.Evaluate(layer, t, y[0])];
            var e = field.Engine;
            using var scope = e.OpenScope();
            var point = _point = _point?.At(layer, t, y[0]) ?? field.Linearize(layer, t, y[0]);
            return [e.Keep(point.Value()), e.Keep(point.Jvp(y[1]))];
        }
    }
}
