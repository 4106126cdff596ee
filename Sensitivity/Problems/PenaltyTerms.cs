using LanguageExt;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Problems;

/// <summary>
/// What a penalty Ψ asks of the sweeps at one input batch x⁽ᵃ⁾ (DESIGN §5): the seed v = ∂Ψ/∂p⁽ᵃ⁾(0) of its dependence on
/// the input sensitivity, and the cotangent c = ∂Ψ/∂x⁽ᵃ⁾(T) of its explicit dependence on the output. Both are held fixed
/// (their own dependence on the controls is not differentiated) and shaped like p(0) and x(T).
/// </summary>
/// <param name="Seed">v, or None when Ψ does not depend on this input's sensitivity (no tangent and second-order sweep run).</param>
/// <param name="Output">c, or None when Ψ does not depend on this input's output explicitly.</param>
public sealed record PenaltyTerms<T>(Option<T> Seed, Option<T> Output)
{
    /// <summary>Only a seed v = ∂Ψ/∂p(0).</summary>
    public static PenaltyTerms<T> OfSeed(T seed) => new(Some(seed), None);

    /// <summary>Only an output cotangent c = ∂Ψ/∂x(T).</summary>
    public static PenaltyTerms<T> OfOutput(T output) => new(None, Some(output));

    /// <summary>Both a seed and an output cotangent.</summary>
    public static PenaltyTerms<T> Of(T seed, T output) => new(Some(seed), Some(output));
}
