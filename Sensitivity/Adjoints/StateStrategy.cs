namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// Where a continuous adjoint gets the forward states x(t) (and tangents s(t)) during its backward solve.
/// </summary>
public abstract record StateStrategy
{
    private StateStrategy() { }

    /// <summary>Keep the dense output of the whole forward solve: fastest, memory grows with the number of steps.</summary>
    public sealed record Stored : StateStrategy;

    /// <summary>
    /// Keep the state at every <paramref name="LayersPerCheckpoint"/>-th layer boundary and recompute the dense
    /// forward solution of one block at a time during the backward solve.
    /// </summary>
    public sealed record Checkpoint(int LayersPerCheckpoint = 1) : StateStrategy;

    /// <summary>
    /// Keep nothing: integrate x (and s) backwards alongside the adjoints (Chen et al. 2018). Memory does not
    /// grow with the number of steps; accuracy depends on the backward stability of the flow.
    /// </summary>
    public sealed record Backsolve : StateStrategy;
}
