using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RobustNode.Core.Engines.Managed.Kernels;

/// <summary>
/// tanh and softplus accurate to a few units in the last place everywhere: tanh in one vectorised pass with its own
/// exponential, softplus through TensorPrimitives.Exp and TensorPrimitives.Log.
/// </summary>
/// <remarks>
/// <see cref="TensorPrimitives.Tanh{T}"/> computes tanh |x| = −z/(z + 2) with z = e^{−2|x|} − 1, which cancels for
/// small |x| (relative error ≈ ε/|x|: 3·10⁻⁴ in float32 at x = 10⁻⁴), while libtorch's tanh is accurate to about one
/// unit in the last place. This kernel computes the same formula with an e^{−2|x|} − 1 that does not cancel
/// (<see cref="ExpMinusOne{TVector, TWidth}(TVector)"/>): within 4 units in the last place of the exact value (test
/// Tanh_is_accurate_to_a_few_units_in_the_last_place_everywhere). softplus is libtorch's: x above the threshold 20, else log1p(eˣ), with log1p from
/// the exact identity log1p(e) = log(u)·e/(u − 1), u = 1 + e (Goldberg 1991, "What every computer scientist should
/// know about floating-point arithmetic", Theorem 4), since <c>T.LogP1</c> is only log(1 + x).
/// </remarks>
internal static class ActivationKernels<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    private const int Block = 256;


    /// <summary>destination = tanh(x), in one vectorised pass (the widest vectors the hardware has).</summary>
    public static void Tanh(ReadOnlySpan<TScalar> x, Span<TScalar> destination)
    {
        if (Width512<TScalar>.IsAccelerated && x.Length >= Width512<TScalar>.Count)
            Tanh<Vector512<TScalar>, Width512<TScalar>>(x, destination);
        else if (Width256<TScalar>.IsAccelerated && x.Length >= Width256<TScalar>.Count)
            Tanh<Vector256<TScalar>, Width256<TScalar>>(x, destination);
        else if (Width128<TScalar>.IsAccelerated)
            Tanh<Vector128<TScalar>, Width128<TScalar>>(x, destination);
        else
            for (int i = 0; i < x.Length; i++) destination[i] = TanhScalar(x[i]);
    }

    /// <summary>Whole vectors, then the remainder through one zero-padded vector: every element takes the same path.</summary>
    private static void Tanh<TVector, TWidth>(ReadOnlySpan<TScalar> x, Span<TScalar> destination)
        where TVector : struct
        where TWidth : IVectorWidth<TVector, TScalar>
    {
        int done = TanhVectors<TVector, TWidth>(x, destination);
        int rest = x.Length - done;
        if (rest == 0) return;
        Span<TScalar> padded = stackalloc TScalar[TWidth.Count];
        padded.Clear();
        x[done..].CopyTo(padded);
        TanhVectors<TVector, TWidth>(padded, padded);
        padded[..rest].CopyTo(destination[done..]);
    }

    /// <summary>The whole vectors of x; returns how many elements were done.</summary>
    private static int TanhVectors<TVector, TWidth>(ReadOnlySpan<TScalar> x, Span<TScalar> destination)
        where TVector : struct
        where TWidth : IVectorWidth<TVector, TScalar>
    {
        ref TScalar x0 = ref MemoryMarshal.GetReference(x);
        ref TScalar d0 = ref MemoryMarshal.GetReference(destination);
        int n = TWidth.Count, i = 0;
        // Four vectors at a time: their polynomial chains are independent, so the latencies of their multiply-adds
        // overlap; every lane goes through the same operations as one vector at a time, so the values are the same.
        for (; i + 4 * n <= x.Length; i += 4 * n)
        {
            var (v0, v1, v2, v3) = (TWidth.Load(ref x0, i), TWidth.Load(ref x0, i + n), TWidth.Load(ref x0, i + 2 * n), TWidth.Load(ref x0, i + 3 * n));
            var (m0, m1, m2, m3) = ExpMinusOne<TVector, TWidth>(Exponent<TVector, TWidth>(v0), Exponent<TVector, TWidth>(v1),
                Exponent<TVector, TWidth>(v2), Exponent<TVector, TWidth>(v3));
            TWidth.Store(FromExpMinusOne<TVector, TWidth>(v0, m0), ref d0, i);
            TWidth.Store(FromExpMinusOne<TVector, TWidth>(v1, m1), ref d0, i + n);
            TWidth.Store(FromExpMinusOne<TVector, TWidth>(v2, m2), ref d0, i + 2 * n);
            TWidth.Store(FromExpMinusOne<TVector, TWidth>(v3, m3), ref d0, i + 3 * n);
        }
        for (; i + n <= x.Length; i += n)
        {
            var v = TWidth.Load(ref x0, i);
            TWidth.Store(FromExpMinusOne<TVector, TWidth>(v, ExpMinusOne<TVector, TWidth>(Exponent<TVector, TWidth>(v))), ref d0, i);
        }
        return i;
    }

    /// <summary>
    /// z = −2|x|, held at or above the underflow bound (tanh is 1 there to the last place); a NaN passes the comparison
    /// and stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Exponent<TVector, TWidth>(TVector v)
        where TVector : struct
        where TWidth : IVectorWidth<TVector, TScalar>
    {
        var lowest = TWidth.Broadcast(LowestExponent);
        var z = TWidth.Multiply(TWidth.Broadcast(TScalar.CreateTruncating(-2.0)), TWidth.Abs(v));
        return TWidth.Select(TWidth.LessThan(z, lowest), lowest, z);
    }

    /// <summary>tanh x from m = e^{−2|x|} − 1 ∈ (−1, 0]: tanh|x| = −m/(m + 2), without cancellation, with the sign of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector FromExpMinusOne<TVector, TWidth>(TVector v, TVector m)
        where TVector : struct
        where TWidth : IVectorWidth<TVector, TScalar>
    {
        var r = TWidth.Divide(TWidth.Subtract(TWidth.Zero, m), TWidth.Add(m, TWidth.Broadcast(TScalar.CreateTruncating(2.0))));
        return TWidth.Select(TWidth.Broadcast(-TScalar.Zero), v, r);
    }

    // e^z ≥ the smallest normal number for z ≥ this bound, so 2ⁿ below is normal.
    private static readonly TScalar LowestExponent = TScalar.CreateTruncating(typeof(TScalar) == typeof(float) ? -87.0 : -708.0);

    // The Taylor coefficients 1/k!, k ≥ 1, of eʳ − 1 on |r| ≤ ln2/2: to r⁸ in float (truncation 3·10⁻⁹ relative), to
    // r¹⁴ in double (10⁻¹⁸).
    private static readonly TScalar[] ExpSeries = Enumerable.Range(1, typeof(TScalar) == typeof(float) ? 8 : 14)
        .Select(k => TScalar.CreateTruncating(1.0 / Enumerable.Range(1, k).Aggregate(1.0, (f, j) => f * j))).ToArray();

    /// <summary>
    /// eᶻ − 1 for z in [<see cref="LowestExponent"/>, 0] or NaN, accurate also near 0: z = n ln2 + r with
    /// n = round(z/ln2) (found by adding 1.5·2^p, which leaves n in the low mantissa bits for the exponent of 2ⁿ), r by
    /// a two-part ln2 (Cody and Waite 1980, "Software manual for the elementary functions", ch. 6), q = eʳ − 1 by its
    /// Taylor series without the constant term, and eᶻ − 1 = 2ⁿ q + (2ⁿ − 1), whose last term is exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ExpMinusOne<TVector, TWidth>(TVector z)
        where TVector : struct
        where TWidth : IVectorWidth<TVector, TScalar>
    {
        bool single = typeof(TScalar) == typeof(float);
        var magic = TWidth.Broadcast(TScalar.CreateTruncating(single ? 12582912.0 : 6755399441055744.0));
        var t = TWidth.MultiplyAdd(z, TWidth.Broadcast(TScalar.CreateTruncating(1.4426950408889634)), magic);
        var n = TWidth.Subtract(t, magic);
        var r = TWidth.MultiplyAdd(n, TWidth.Broadcast(TScalar.CreateTruncating(single ? -0.693359375 : -6.93147180369123816490e-01)), z);
        r = TWidth.MultiplyAdd(n, TWidth.Broadcast(TScalar.CreateTruncating(single ? 2.12194440e-4 : -1.90821492927058770002e-10)), r);
        var c = ExpSeries;
        var p = TWidth.Broadcast(c[^1]);
        for (int k = c.Length - 2; k >= 0; k--) p = TWidth.MultiplyAdd(p, r, TWidth.Broadcast(c[k]));
        var q = TWidth.Multiply(p, r);
        var scale = TWidth.PowerOfTwo(t);
        return TWidth.MultiplyAdd(scale, q, TWidth.Subtract(scale, TWidth.Broadcast(TScalar.One)));
    }

    /// <summary>
    /// <see cref="ExpMinusOne{TVector, TWidth}(TVector)"/> of four vectors side by side: the same operations on each, the
    /// series' coefficients broadcast once for the four.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector, TVector, TVector, TVector) ExpMinusOne<TVector, TWidth>(TVector z0, TVector z1, TVector z2, TVector z3)
        where TVector : struct
        where TWidth : IVectorWidth<TVector, TScalar>
    {
        bool single = typeof(TScalar) == typeof(float);
        var magic = TWidth.Broadcast(TScalar.CreateTruncating(single ? 12582912.0 : 6755399441055744.0));
        var log2e = TWidth.Broadcast(TScalar.CreateTruncating(1.4426950408889634));
        var (t0, t1, t2, t3) = (TWidth.MultiplyAdd(z0, log2e, magic), TWidth.MultiplyAdd(z1, log2e, magic),
            TWidth.MultiplyAdd(z2, log2e, magic), TWidth.MultiplyAdd(z3, log2e, magic));
        var (n0, n1, n2, n3) = (TWidth.Subtract(t0, magic), TWidth.Subtract(t1, magic), TWidth.Subtract(t2, magic), TWidth.Subtract(t3, magic));
        var high = TWidth.Broadcast(TScalar.CreateTruncating(single ? -0.693359375 : -6.93147180369123816490e-01));
        var low = TWidth.Broadcast(TScalar.CreateTruncating(single ? 2.12194440e-4 : -1.90821492927058770002e-10));
        var (r0, r1, r2, r3) = (TWidth.MultiplyAdd(n0, high, z0), TWidth.MultiplyAdd(n1, high, z1), TWidth.MultiplyAdd(n2, high, z2), TWidth.MultiplyAdd(n3, high, z3));
        (r0, r1, r2, r3) = (TWidth.MultiplyAdd(n0, low, r0), TWidth.MultiplyAdd(n1, low, r1), TWidth.MultiplyAdd(n2, low, r2), TWidth.MultiplyAdd(n3, low, r3));
        var c = ExpSeries;
        var top = TWidth.Broadcast(c[^1]);
        var (p0, p1, p2, p3) = (top, top, top, top);
        for (int k = c.Length - 2; k >= 0; k--)
        {
            var ck = TWidth.Broadcast(c[k]);
            (p0, p1, p2, p3) = (TWidth.MultiplyAdd(p0, r0, ck), TWidth.MultiplyAdd(p1, r1, ck), TWidth.MultiplyAdd(p2, r2, ck), TWidth.MultiplyAdd(p3, r3, ck));
        }
        var one = TWidth.Broadcast(TScalar.One);
        var (s0, s1, s2, s3) = (TWidth.PowerOfTwo(t0), TWidth.PowerOfTwo(t1), TWidth.PowerOfTwo(t2), TWidth.PowerOfTwo(t3));
        return (TWidth.MultiplyAdd(s0, TWidth.Multiply(p0, r0), TWidth.Subtract(s0, one)), TWidth.MultiplyAdd(s1, TWidth.Multiply(p1, r1), TWidth.Subtract(s1, one)),
            TWidth.MultiplyAdd(s2, TWidth.Multiply(p2, r2), TWidth.Subtract(s2, one)), TWidth.MultiplyAdd(s3, TWidth.Multiply(p3, r3), TWidth.Subtract(s3, one)));
    }

    // Only where no SIMD is accelerated at all (then with .NET's tanh).
    private static TScalar TanhScalar(TScalar v) => TScalar.Tanh(v);

    /// <summary>destination = softplus(x) = x for x &gt; 20, else log1p(eˣ) (libtorch's threshold, β = 1).</summary>
    public static void Softplus(ReadOnlySpan<TScalar> x, Span<TScalar> destination)
    {
        Span<TScalar> scratch = stackalloc TScalar[3 * Block];
        var threshold = TScalar.CreateTruncating(20.0);
        for (int b = 0; b < x.Length; b += Block)
        {
            int n = Math.Min(Block, x.Length - b);
            var xs = x.Slice(b, n);
            var e = scratch[..n];
            var u = scratch.Slice(Block, n);
            var l = scratch.Slice(2 * Block, n);
            TensorPrimitives.Exp(xs, e);
            TensorPrimitives.Add(e, TScalar.One, u);
            TensorPrimitives.Log(u, l);
            var d = destination.Slice(b, n);
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                ref TScalar x0 = ref MemoryMarshal.GetReference(xs);
                ref TScalar e0 = ref MemoryMarshal.GetReference(e);
                ref TScalar u0 = ref MemoryMarshal.GetReference(u);
                ref TScalar l0 = ref MemoryMarshal.GetReference(l);
                ref TScalar d0 = ref MemoryMarshal.GetReference(d);
                var one = Vector256<TScalar>.One;
                var limit = Vector256.Create(threshold);
                for (; i + Vector256<TScalar>.Count <= n; i += Vector256<TScalar>.Count)
                {
                    var v = Vector256.LoadUnsafe(ref x0, (nuint)i);
                    var ev = Vector256.LoadUnsafe(ref e0, (nuint)i);
                    var uv = Vector256.LoadUnsafe(ref u0, (nuint)i);
                    var lv = Vector256.LoadUnsafe(ref l0, (nuint)i);
                    var log1p = Vector256.ConditionalSelect(Vector256.Equals(uv, one), ev, lv * ev / (uv - one));
                    Vector256.ConditionalSelect(Vector256.GreaterThan(v, limit), v, log1p).StoreUnsafe(ref d0, (nuint)i);
                }
            }
            for (; i < n; i++)
            {
                var v = xs[i];
                d[i] = v > threshold ? v : u[i] == TScalar.One ? e[i] : l[i] * e[i] / (u[i] - TScalar.One);
            }
        }
    }
}
