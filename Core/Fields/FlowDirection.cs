namespace RobustNode.Core.Fields;

/// <summary>
/// Which way a gradient-flow layer x' = s·Aᵀσ(Ax + b) runs: down the convex potential V(x) = Σᵢ γ((Ax + b)ᵢ), γ' = σ
/// (s = −1, contractive: its explicit Euler step x − h∇V(x) is non-expansive in ℓ2 when h·sup σ'·‖A‖₂² ≤ 2), or up it
/// (s = +1, expansive: the step x + h∇V(x) has Lipschitz constant at most 1 + h·sup σ'·‖A‖₂²).
/// </summary>
/// <remarks>Celledoni et al. 2023, "Dynamical Systems-Based Neural Networks", SIAM J. Sci. Comput. 45(6), §4.</remarks>
public enum FlowDirection
{
    /// <summary>s = −1: the gradient flow of the convex potential (non-expansive steps).</summary>
    Contractive,
    /// <summary>s = +1: the flow up the potential (expansive steps with a known bound).</summary>
    Expansive,
}

/// <summary>Names and signs of <see cref="FlowDirection"/>.</summary>
internal static class FlowDirections
{
    /// <summary>s = −1 (contractive) or +1 (expansive).</summary>
    public static double Sign(this FlowDirection direction) => direction == FlowDirection.Contractive ? -1 : 1;

    /// <summary>"contractive" or "expansive".</summary>
    public static string Name(this FlowDirection direction) => direction == FlowDirection.Contractive ? "contractive" : "expansive";

    /// <summary>The direction of a name (case-insensitive), or null.</summary>
    public static FlowDirection? Parse(string? name) => name?.ToLowerInvariant() switch
    {
        "contractive" => FlowDirection.Contractive,
        "expansive" => FlowDirection.Expansive,
        _ => null,
    };
}
