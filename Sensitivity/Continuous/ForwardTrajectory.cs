using LanguageExt;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers;
using RobustNode.Solvers.Dense;
using RobustNode.Core.Engines;
using RobustNode.Solvers.Engines;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Continuous;

/// <summary>
/// The forward solution of the state tuple (x) or (x, s) with s' = g_x s, kept as the strategy says, so the
/// backward solve can ask for it at any time of a layer.
/// </summary>
internal sealed class ForwardTrajectory : IDisposable
{
    private static readonly TupleAlgebra<Tensor> Algebra = new(TensorAlgebra.Instance);
    private readonly IVectorField _field;
    private readonly OdeSolver _solver;
    private readonly StateStrategy _strategy;
    private readonly bool _withTangent;
    private DenseSolution<Tensor[]>? _dense;
    private readonly List<Tensor[]> _checkpoints = [];
    private int _cachedBlock = -1;
    private readonly List<Tensor> _cachedTensors = [];

    public Tensor[] Final { get; private set; } = [];
    public SolveStatistics Statistics { get; private set; } = SolveStatistics.Zero;

    private ForwardTrajectory(IVectorField field, OdeSolver solver, StateStrategy strategy, bool withTangent) =>
        (_field, _solver, _strategy, _withTangent) = (field, solver, strategy, withTangent);

    /// <summary>The tuple system: x' = g(x), and s' = g_x s when a tangent is carried.</summary>
    public static PiecewiseSystem<Tensor[]> System(IVectorField field, bool withTangent, int fromLayer, int toLayer) =>
        new(Enumerable.Range(fromLayer, toLayer - fromLayer + 1).Select(field.Grid.Boundary).ToArray(),
            (piece, t, y) =>
            {
                int layer = fromLayer + piece;
                if (!withTangent) return [field.Evaluate(layer, t, y[0])];
                using var scope = NewDisposeScope();
                var point = field.Linearize(layer, t, y[0]);
                return [point.Value().MoveToOuterDisposeScope(), point.Jvp(y[1]).MoveToOuterDisposeScope()];
            });

    /// <summary>Solves forward from the initial tuple, keeping what the strategy asks for.</summary>
    public static Fin<ForwardTrajectory> Solve(IVectorField field, OdeSolver solver, StateStrategy strategy, Tensor[] initial)
    {
        var trajectory = new ForwardTrajectory(field, solver, strategy, initial.Length == 2);
        int n = field.Grid.Layers;
        switch (strategy)
        {
            case StateStrategy.Stored:
                return solver.Solve(Algebra, System(field, trajectory._withTangent, 0, n), initial, new SolveOptions(Dense: true))
                    .Map(sol => { trajectory._dense = sol.Dense; trajectory.Final = sol.Final; trajectory.Statistics = sol.Statistics; return trajectory; });
            case StateStrategy.Checkpoint c:
                var state = initial;
                for (int k = 0; k < n; k += c.LayersPerCheckpoint)
                {
                    trajectory._checkpoints.Add(state);
                    var block = solver.Solve(Algebra, System(field, trajectory._withTangent, k, Math.Min(n, k + c.LayersPerCheckpoint)), state);
                    if (block.IsFail) return block.Map(_ => trajectory);
                    var sol = (OdeSolution<Tensor[]>)block;
                    trajectory.Statistics += sol.Statistics;
                    state = sol.Final;
                }
                trajectory.Final = state;
                return FinSucc(trajectory);
            default:
                return solver.Solve(Algebra, System(field, trajectory._withTangent, 0, n), initial)
                    .Map(sol => { trajectory.Final = sol.Final; trajectory.Statistics = sol.Statistics; return trajectory; });
        }
    }

    /// <summary>The state tuple at time t of a layer (recomputing the layer's block from its checkpoint if needed).</summary>
    public Tensor[] At(int layer, double t)
    {
        if (_strategy is StateStrategy.Checkpoint c)
        {
            int block = layer / c.LayersPerCheckpoint;
            if (block != _cachedBlock)
            {
                int from = block * c.LayersPerCheckpoint, to = Math.Min(_field.Grid.Layers, from + c.LayersPerCheckpoint);
                foreach (var tensor in _cachedTensors) tensor.Dispose();
                _cachedTensors.Clear();
                using (NewDisposeScope())
                {
                    var sol = _solver.Solve(Algebra, System(_field, _withTangent, from, to), _checkpoints[block], new SolveOptions(Dense: true))
                        .Match(s => s, e => throw new Core.Errors.RobustNodeException(e));
                    // The block's dense output must outlive the backward step that asked for it.
                    foreach (var seg in sol.Dense!.Segments)
                        foreach (var part in new[] { seg.Y0, seg.Y1, seg.F0, seg.F1, seg.YMid ?? [] })
                            foreach (var tensor in part.Where(p => !_checkpoints[block].Any(c => ReferenceEquals(c, p)))) _cachedTensors.Add(tensor.DetachFromDisposeScope());
                    Statistics += sol.Statistics;
                    _dense = new DenseSolution<Tensor[]>(Algebra, sol.Dense.Segments.Select(s => s with { Piece = s.Piece + from }).ToArray());
                }
                _cachedBlock = block;
            }
        }
        return _dense!.Evaluate(t, layer);
    }

    /// <summary>Frees a recomputed block.</summary>
    public void Dispose()
    {
        foreach (var tensor in _cachedTensors) tensor.Dispose();
        _cachedTensors.Clear();
    }
}
