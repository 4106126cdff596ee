using System.Numerics;
using System.Numerics.Tensors;

namespace RobustNode.Core.Engines.Managed.Kernels;

/// <summary>
/// Reductions of whole arrays to one number: vectorised sums over fixed blocks of <see cref="Block"/> elements in the
/// element type, the block results added in order in double. The blocks depend only on the length, so the result is
/// deterministic; in float32 the double accumulation keeps the error of a long sum at that of one block.
/// </summary>
internal static class ReductionKernels<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    private const int Block = 4096;

    /// <summary>Σ x.</summary>
    public static double Sum(ReadOnlySpan<TScalar> x)
    {
        double total = 0;
        for (int b = 0; b < x.Length; b += Block)
            total += double.CreateTruncating(TensorPrimitives.Sum(x.Slice(b, Math.Min(Block, x.Length - b))));
        return total;
    }

    /// <summary>⟨a, b⟩.</summary>
    public static double Dot(ReadOnlySpan<TScalar> a, ReadOnlySpan<TScalar> b)
    {
        double total = 0;
        for (int i = 0; i < a.Length; i += Block)
        {
            int n = Math.Min(Block, a.Length - i);
            total += double.CreateTruncating(TensorPrimitives.Dot(a.Slice(i, n), b.Slice(i, n)));
        }
        return total;
    }

    /// <summary>(min, max); both NaN when any element is NaN; (+∞, −∞) for no elements.</summary>
    public static (double Min, double Max) Extrema(ReadOnlySpan<TScalar> x)
    {
        if (x.IsEmpty) return (double.PositiveInfinity, double.NegativeInfinity);
        var min = TensorPrimitives.Min(x);
        var max = TensorPrimitives.Max(x);
        if (TScalar.IsNaN(min) || TScalar.IsNaN(max)) return (double.NaN, double.NaN);
        return (double.CreateTruncating(min), double.CreateTruncating(max));
    }

    /// <summary>True when no element is NaN or infinite.</summary>
    public static bool IsFinite(ReadOnlySpan<TScalar> x) => TensorPrimitives.IsFiniteAll(x);

    /// <summary>
    /// Σ (vᵢ / (atol + rtol·max(|yaᵢ|, |ybᵢ|)))², each term rounded as TorchSharp's
    /// <c>maximum(|ya|, |yb|).mul_(rtol).add_(atol)</c>, <c>v.div(scale).square()</c> in the element type.
    /// </summary>
    public static double ScaledSquares(ReadOnlySpan<TScalar> v, ReadOnlySpan<TScalar> ya, ReadOnlySpan<TScalar> yb, double rtol, double atol)
    {
        Span<TScalar> scale = stackalloc TScalar[256];
        var r = TScalar.CreateTruncating(rtol);
        var a = TScalar.CreateTruncating(atol);
        double total = 0;
        for (int b = 0; b < v.Length; b += scale.Length)
        {
            int n = Math.Min(scale.Length, v.Length - b);
            var s = scale[..n];
            TensorPrimitives.MaxMagnitude(ya.Slice(b, n), yb.Slice(b, n), s);
            TensorPrimitives.Abs(s, s);
            TensorPrimitives.Multiply(s, r, s);
            TensorPrimitives.Add(s, a, s);
            TensorPrimitives.Divide(v.Slice(b, n), s, s);
            total += double.CreateTruncating(TensorPrimitives.SumOfSquares((ReadOnlySpan<TScalar>)s));
        }
        return total;
    }
}
