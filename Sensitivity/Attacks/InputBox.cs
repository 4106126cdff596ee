using RobustNode.Core.Engines;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// The box of valid inputs [Min, Max] in every coordinate (e.g. [0, 1] for grey levels). Adversarial inputs are
/// clipped to it after each step. Clipping moves every coordinate of x₀ + δ towards x₀ (which must lie in the box),
/// so it never leaves the attack ball: for ℓ∞ the result is the exact projection onto ball ∩ box.
/// </summary>
/// <param name="Min">Lower bound of every coordinate.</param>
/// <param name="Max">Upper bound of every coordinate.</param>
public sealed record InputBox(double Min, double Max)
{
    /// <summary>The unit box [0, 1], the usual range of image inputs.</summary>
    public static InputBox Unit { get; } = new(0, 1);

    /// <summary>x clipped to the box.</summary>
    public T Clip<T>(IEngine<T> engine, T x) => engine.Clamp(x, Min, Max);

    /// <summary>True when every entry of x lies in the box (false when any is NaN).</summary>
    public bool Contains<T>(IEngine<T> engine, T x)
    {
        var (min, max) = engine.Extrema(x);
        return min >= Min && max <= Max;
    }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"[{Min}, {Max}]");
}
