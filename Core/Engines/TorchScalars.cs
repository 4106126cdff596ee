using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Core.Engines;

/// <summary>
/// Tensor operations with numbers whose libtorch <see cref="Scalar"/> lives across the native call. TorchSharp 0.107
/// converts a number to a Scalar implicitly (<c>t * 0.5</c>, <c>t.add_(u, alpha)</c>, <c>t.clamp(lo, hi)</c>, and
/// <c>a + b</c>, which passes alpha = 1) and leaves it to the finalizer, holding no reference while libtorch reads it:
/// a garbage collection started by another thread can free it in the middle of the call. Here every number is either
/// one of the constants below, which live as long as the process, or a Scalar made for the call and disposed after it.
/// </summary>
/// <remarks>
/// <para>The scalar types are TorchSharp's own (integers as integers, doubles as doubles), so results do not change by a
/// bit. Code that hands numbers to libtorch uses these methods or <c>using var s = x.ToScalar();</c>; the test
/// <c>ScalarLifetimes</c> reads the IL of every library method and refuses the implicit forms. The same holds for a
/// <see cref="Generator"/>: dispose it (<c>using var</c>) after its last use.</para>
/// <para>Tensors have the same finalizer: a temporary (the result of one call read by the next) is safe only while a
/// dispose scope owns it, which is why every method making tensors opens one.</para>
/// </remarks>
internal static class TorchScalars
{
    /// <summary>The integer 1 (the alpha TorchSharp passes for a plain tensor addition).</summary>
    public static Scalar One { get; } = 1.ToScalar();

    /// <summary>The integer 2.</summary>
    public static Scalar Two { get; } = 2.ToScalar();

    /// <summary>The integer −1.</summary>
    public static Scalar MinusOne { get; } = (-1).ToScalar();

    /// <summary>The integer −2.</summary>
    public static Scalar MinusTwo { get; } = (-2).ToScalar();

    /// <summary>The integer 0.</summary>
    public static Scalar Zero { get; } = 0.ToScalar();

    /// <summary>a + b (TorchSharp's <c>a + b</c>).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a + α b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b, double alpha)
    {
        using var s = alpha.ToScalar();
        return a.add(b, s);
    }

    /// <summary>a ← a + b, in place (TorchSharp's <c>a.add_(b)</c>).</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a ← a + α b, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b, double alpha)
    {
        using var s = alpha.ToScalar();
        return a.add_(b, s);
    }

    /// <summary>a + c, elementwise (TorchSharp's <c>a + c</c>).</summary>
    public static Tensor Plus(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.add(s, One);
    }

    /// <summary>a + c for an integer c, elementwise (TorchSharp's <c>a + c</c>; keeps integer tensors integer).</summary>
    public static Tensor Plus(this Tensor a, long c)
    {
        using var s = c.ToScalar();
        return a.add(s, One);
    }

    /// <summary>c − a for an integer c (TorchSharp's <c>c - a</c>: −a + c).</summary>
    public static Tensor From(this Tensor a, long c)
    {
        using var s = c.ToScalar();
        return a.negative().add(s, One);
    }

    /// <summary>c a for an integer c (TorchSharp's <c>a * c</c>; keeps integer tensors integer).</summary>
    public static Tensor Times(this Tensor a, long c)
    {
        using var s = c.ToScalar();
        return a.mul(s);
    }

    /// <summary>a ← a + c, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.add_(s, One);
    }

    /// <summary>c − a (TorchSharp's <c>c - a</c>: −a + c).</summary>
    public static Tensor From(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.negative().add(s, One);
    }

    /// <summary>a − c (TorchSharp's <c>a - c</c>).</summary>
    public static Tensor Minus(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.sub(s);
    }

    /// <summary>a − c for an integer c (TorchSharp's <c>a - c</c>; keeps integer tensors integer).</summary>
    public static Tensor Minus(this Tensor a, long c)
    {
        using var s = c.ToScalar();
        return a.sub(s);
    }

    /// <summary>a / c for an integer c (TorchSharp's <c>a / c</c>).</summary>
    public static Tensor Over(this Tensor a, long c)
    {
        using var s = c.ToScalar();
        return a.div(s);
    }

    /// <summary>c a (TorchSharp's <c>a * c</c>).</summary>
    public static Tensor Times(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.mul(s);
    }

    /// <summary>a ← c a, in place.</summary>
    public static Tensor TimesInPlace(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.mul_(s);
    }

    /// <summary>a / c (TorchSharp's <c>a / c</c>).</summary>
    public static Tensor Over(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.div(s);
    }

    /// <summary>c / a (TorchSharp's <c>c / a</c>: the reciprocal of a times c).</summary>
    public static Tensor Into(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.reciprocal().mul(s);
    }

    /// <summary>a ← a / c, in place.</summary>
    public static Tensor OverInPlace(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.div_(s);
    }

    /// <summary>min(max(a, lo), hi), elementwise.</summary>
    public static Tensor Clamped(this Tensor a, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary>a ← min(max(a, lo), hi), in place.</summary>
    public static Tensor ClampedInPlace(this Tensor a, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp_(lo, hi);
    }

    /// <summary>max(a, lo), elementwise.</summary>
    public static Tensor AtLeast(this Tensor a, double min)
    {
        using var lo = min.ToScalar();
        return a.clamp_min(lo);
    }

    /// <summary>a &gt; c, elementwise (a boolean tensor).</summary>
    public static Tensor GreaterThan(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.gt(s);
    }

    /// <summary>a ≤ c, elementwise (a boolean tensor).</summary>
    public static Tensor AtMost(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.le(s);
    }

    /// <summary>a == c, elementwise (a boolean tensor).</summary>
    public static Tensor EqualTo(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.eq(s);
    }

    /// <summary>
    /// softplus(x) = log(1 + eˣ), libtorch's kernel with β = 1 and threshold 20 (x itself above it), as
    /// <c>nn.functional.softplus(x)</c> computes it but with both numbers alive across the call: TorchSharp's public
    /// overloads convert them implicitly, so this calls the private method they end in.
    /// </summary>
    public static Tensor Softplus(Tensor x) => SoftplusKernel(x, SoftplusBeta, SoftplusThreshold);

    private static Scalar SoftplusBeta { get; } = 1.0.ToScalar();

    private static Scalar SoftplusThreshold { get; } = 20.0.ToScalar();

    private static readonly Func<Tensor, Scalar, Scalar, Tensor> SoftplusKernel =
        typeof(Tensor).GetMethod("softplus1", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, [typeof(Scalar), typeof(Scalar)])
            ?.CreateDelegate<Func<Tensor, Scalar, Scalar, Tensor>>()
        ?? throw new MissingMethodException("TorchSharp's Tensor.softplus1(Scalar, Scalar) is gone: revisit TorchScalars.Softplus for this TorchSharp version");

    /// <summary>a², elementwise (TorchSharp's <c>a.square()</c>, which is libtorch's <c>pow(a, 2)</c> with an implicit 2).</summary>
    public static Tensor Squared(this Tensor a) => a.pow(Two);

    /// <summary>a ← c everywhere, in place.</summary>
    public static Tensor FillWith(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.fill_(s);
    }
}
