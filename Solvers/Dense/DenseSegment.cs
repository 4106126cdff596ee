using RobustNode.Core.Engines;

namespace RobustNode.Solvers.Dense;

/// <summary>
/// Dense output of one accepted step on [T0, T1] of interval (layer) <paramref name="Piece"/>:
/// the quartic through y₀, y½, y₁ with end slopes f₀, f₁ when the tableau has mid-point weights
/// (Shampine 1986), otherwise the cubic Hermite interpolant through y₀, y₁, f₀, f₁.
/// </summary>
public readonly record struct DenseSegment<T>(int Piece, double T0, double T1, T Y0, T Y1, T F0, T F1, T? YMid)
{
    /// <summary>Step size (signed).</summary>
    public double H => T1 - T0;

    /// <summary>The interpolated state at t ∈ [T0, T1].</summary>
    public T Evaluate(IStateAlgebra<T> algebra, double t)
    {
        double th = (t - T0) / H, th2 = th * th, th3 = th2 * th, th4 = th3 * th;
        if (!ValueIdentity<T>.IsAbsent(YMid))
        {
            var ym = YMid!;
            ReadOnlySpan<double> wq =
            [
                1 - 11 * th2 + 18 * th3 - 8 * th4,
                -5 * th2 + 14 * th3 - 8 * th4,
                16 * th2 - 32 * th3 + 16 * th4,
                H * (th - 4 * th2 + 5 * th3 - 2 * th4),
                H * (th2 - 3 * th3 + 2 * th4),
            ];
            return algebra.LinearCombination(wq, [Y0, Y1, ym, F0, F1]);
        }
        ReadOnlySpan<double> wh =
        [
            2 * th3 - 3 * th2 + 1,
            -2 * th3 + 3 * th2,
            H * (th3 - 2 * th2 + th),
            H * (th3 - th2),
        ];
        return algebra.LinearCombination(wh, [Y0, Y1, F0, F1]);
    }
}
