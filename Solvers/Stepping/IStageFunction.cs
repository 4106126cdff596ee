namespace RobustNode.Solvers.Stepping;

/// <summary>
/// What a Runge–Kutta stage recurrence evaluates at each stage: Kᵢ = f(i, tᵢ, Xᵢ). The forward step evaluates the
/// right-hand side; the derivative sweeps linearize the field there (and return its value only where a later stage
/// needs it), or apply its Jacobian to a tangent.
/// </summary>
/// <typeparam name="T">The state type.</typeparam>
internal interface IStageFunction<T>
{
    /// <summary>The slope Kᵢ of stage i at time tᵢ = t + cᵢh and argument Xᵢ.</summary>
    T Slope(int stage, double t, T x);
}
