namespace RobustNode.Core.Fields;

/// <summary>
/// The control terms of a second-order reverse stage that are paired with the stage cotangent p, which earlier sweeps may
/// have added already (<see cref="FieldLinearization{T}.PairsControlTerms"/>).
/// </summary>
[Flags]
public enum PairedControlTerms
{
    /// <summary>Neither: the second-order stage adds both.</summary>
    None = 0,
    /// <summary>g_uᵀp, added by the reverse sweep for p(0).</summary>
    Cotangent = 1,
    /// <summary>∂ₓ(g_uᵀp)·s, added by the tangent sweep.</summary>
    Tangent = 2,
}
