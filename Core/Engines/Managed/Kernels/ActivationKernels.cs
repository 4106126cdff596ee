using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RobustNode.Core.Engines.Managed.Kernels;

/// <summary>
/// tanh and softplus accurate to a few units in the last place everywhere, vectorised through
/// TensorPrimitives.Exp and TensorPrimitives.Log.
/// </summary>
/// <remarks>
/// <see cref="TensorPrimitives.Tanh{T}"/> computes tanh |x| = −z/(z + 2) with z = e^{−2|x|} − 1, which cancels for
/// small |x| (relative error ≈ ε/|x|: 3·10⁻⁴ in float32 at x = 10⁻⁴), while libtorch's tanh is accurate to about one
/// unit in the last place. Below |x| = 0.1 this kernel uses the odd Taylor series of tanh to x¹⁵ instead (truncation
/// error below 10⁻¹⁹ relative). softplus is libtorch's: x above the threshold 20, else log1p(eˣ), with log1p from
/// the exact identity log1p(e) = log(u)·e/(u − 1), u = 1 + e (Goldberg 1991, "What every computer scientist should
/// know about floating-point arithmetic", Theorem 4), since <c>T.LogP1</c> is only log(1 + x).
/// </remarks>
internal static class ActivationKernels<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    private const int Block = 256;
    private const double SeriesBound = 0.1;

    // tanh x = x (1 + Σ_{k≥1} c_k x^{2k}): the Taylor coefficients 2^{2k+2}(2^{2k+2} − 1) B_{2k+2} / (2k+2)!.
    private static readonly TScalar[] Series =
    [
        TScalar.CreateTruncating(-1.0 / 3),
        TScalar.CreateTruncating(2.0 / 15),
        TScalar.CreateTruncating(-17.0 / 315),
        TScalar.CreateTruncating(62.0 / 2835),
        TScalar.CreateTruncating(-1382.0 / 155925),
        TScalar.CreateTruncating(21844.0 / 6081075),
        TScalar.CreateTruncating(-929569.0 / 638512875),
    ];

    /// <summary>destination = tanh(x).</summary>
    public static void Tanh(ReadOnlySpan<TScalar> x, Span<TScalar> destination)
    {
        Span<TScalar> e = stackalloc TScalar[Block];
        var minusTwo = TScalar.CreateTruncating(-2.0);
        for (int b = 0; b < x.Length; b += Block)
        {
            int n = Math.Min(Block, x.Length - b);
            var xs = x.Slice(b, n);
            var es = e[..n];
            TensorPrimitives.Abs(xs, es);
            TensorPrimitives.Multiply(es, minusTwo, es);
            TensorPrimitives.Exp(es, es);
            TanhFromExp(xs, es, destination.Slice(b, n));
        }
    }

    private static void TanhFromExp(ReadOnlySpan<TScalar> x, ReadOnlySpan<TScalar> e, Span<TScalar> destination)
    {
        var bound = TScalar.CreateTruncating(SeriesBound);
        var c = Series;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref TScalar x0 = ref MemoryMarshal.GetReference(x);
            ref TScalar e0 = ref MemoryMarshal.GetReference(e);
            ref TScalar d0 = ref MemoryMarshal.GetReference(destination);
            var one = Vector256.Create(TScalar.One);
            var two = one + one;
            var signBit = Vector256.Create(-TScalar.Zero);
            var limit = Vector256.Create(bound);
            var c0 = Vector256.Create(c[0]); var c1 = Vector256.Create(c[1]); var c2 = Vector256.Create(c[2]);
            var c3 = Vector256.Create(c[3]); var c4 = Vector256.Create(c[4]); var c5 = Vector256.Create(c[5]); var c6 = Vector256.Create(c[6]);
            for (; i + Vector256<TScalar>.Count <= x.Length; i += Vector256<TScalar>.Count)
            {
                var v = Vector256.LoadUnsafe(ref x0, (nuint)i);
                var y = Vector256.Abs(v);
                var z = Vector256.LoadUnsafe(ref e0, (nuint)i) - one;
                var large = -z / (z + two);
                var y2 = y * y;
                var p = Width256<TScalar>.MultiplyAdd(c6, y2, c5);
                p = Width256<TScalar>.MultiplyAdd(p, y2, c4);
                p = Width256<TScalar>.MultiplyAdd(p, y2, c3);
                p = Width256<TScalar>.MultiplyAdd(p, y2, c2);
                p = Width256<TScalar>.MultiplyAdd(p, y2, c1);
                p = Width256<TScalar>.MultiplyAdd(p, y2, c0);
                var small = Width256<TScalar>.MultiplyAdd(y * y2, p, y);
                var r = Vector256.ConditionalSelect(Vector256.LessThan(y, limit), small, large);
                Vector256.ConditionalSelect(signBit, v, r).StoreUnsafe(ref d0, (nuint)i);
            }
        }
        var two1 = TScalar.One + TScalar.One;
        for (; i < x.Length; i++)
        {
            var v = x[i];
            var y = TScalar.Abs(v);
            TScalar r;
            if (y < bound)
            {
                var y2 = y * y;
                var p = Scalar<TScalar>.MultiplyAdd(c[6], y2, c[5]);
                p = Scalar<TScalar>.MultiplyAdd(p, y2, c[4]);
                p = Scalar<TScalar>.MultiplyAdd(p, y2, c[3]);
                p = Scalar<TScalar>.MultiplyAdd(p, y2, c[2]);
                p = Scalar<TScalar>.MultiplyAdd(p, y2, c[1]);
                p = Scalar<TScalar>.MultiplyAdd(p, y2, c[0]);
                r = Scalar<TScalar>.MultiplyAdd(y * y2, p, y);
            }
            else
            {
                var z = e[i] - TScalar.One;
                r = -z / (z + two1);
            }
            destination[i] = TScalar.CopySign(r, v);
        }
    }

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
