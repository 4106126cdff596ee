namespace RobustNode.Sensitivity.Adjoints;

/// <summary>The adjoint strategies by name. The default everywhere is <see cref="Discrete"/>: the exact gradient of the discretized network.</summary>
public static class AdjointMode
{
    /// <summary>Discretize, then optimize: exact for the discretized network.</summary>
    public static IAdjointMethod Discrete { get; } = new DiscreteAdjoint();

    /// <summary>Optimize, then discretize, with the forward dense output kept.</summary>
    public static IAdjointMethod Stored { get; } = new ContinuousAdjoint(new StateStrategy.Stored());

    /// <summary>Optimize, then discretize, recomputing each layer from checkpoints at layer boundaries.</summary>
    public static IAdjointMethod Checkpoint { get; } = new ContinuousAdjoint(new StateStrategy.Checkpoint());

    /// <summary>Optimize, then discretize, integrating the states backwards: memory independent of the number of steps.</summary>
    public static IAdjointMethod Backsolve { get; } = new ContinuousAdjoint(new StateStrategy.Backsolve());

    /// <summary>Every mode by name: discrete, stored, checkpoint, backsolve.</summary>
    public static IReadOnlyDictionary<string, IAdjointMethod> ByName { get; } =
        new[] { Discrete, Stored, Checkpoint, Backsolve }.ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase);
}
