using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RobustNode.Core.Engines.Managed.Kernels;

/// <summary>
/// Elementwise kernels that <see cref="TensorPrimitives"/> does not have in the form needed: the fused linear
/// combination of the Runge–Kutta stages, PyTorch's sign and clamp (NaN passes through), addcmul/addcdiv and the
/// derivative products of the activations, which must round like the TorchSharp expressions they mirror.
/// </summary>
internal static class ElementwiseKernels<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    /// <summary>Elements per cache block of <see cref="Combine"/>: the destination block stays in L1 while every term is added.</summary>
    private const int CacheBlock = 1024;

    /// <summary>
    /// destination[i] = y[i] + Σ_t w_t terms_t[i] (or Σ_t w_t terms_t[i] when <paramref name="y"/> is empty) over
    /// [start, end), terms with w_t = 0 skipped, added in order with one rounding per term (fused multiply-add): the
    /// sequence of TorchSharp's <c>y.add(t₀, w₀).add_(t₁, w₁)…</c>, computed block by block so that the
    /// destination is read and written once from memory.
    /// </summary>
    public static void Combine(ReadOnlySpan<TScalar> y, ReadOnlySpan<double> weights, ReadOnlySpan<ManagedTensor<TScalar>> terms,
        Span<TScalar> destination, int start, int end)
    {
        for (int b = start; b < end; b += CacheBlock)
        {
            int n = Math.Min(CacheBlock, end - b);
            var d = destination.Slice(b, n);
            bool first = y.IsEmpty;
            if (!first) y.Slice(b, n).CopyTo(d);
            for (int t = 0; t < terms.Length; t++)
            {
                if (weights[t] == 0) continue;
                var w = TScalar.CreateTruncating(weights[t]);
                var x = terms[t].Span.Slice(b, n);
                if (first) TensorPrimitives.Multiply(x, w, d);
                else TensorPrimitives.FusedMultiplyAdd(x, w, d, d);
                first = false;
            }
            if (first) d.Clear();
        }
    }

    /// <summary>destination = sign(x): 1, −1, or 0 for ±0 and NaN (PyTorch's sign).</summary>
    public static void Sign(ReadOnlySpan<TScalar> x, Span<TScalar> destination)
    {
        ref TScalar x0 = ref MemoryMarshal.GetReference(x);
        ref TScalar d0 = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(TScalar.One);
            for (; i + Vector256<TScalar>.Count <= x.Length; i += Vector256<TScalar>.Count)
            {
                var v = Vector256.LoadUnsafe(ref x0, (nuint)i);
                var s = (Vector256.GreaterThan(v, Vector256<TScalar>.Zero) & one) - (Vector256.LessThan(v, Vector256<TScalar>.Zero) & one);
                s.StoreUnsafe(ref d0, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            var v = x[i];
            destination[i] = v > TScalar.Zero ? TScalar.One : v < TScalar.Zero ? -TScalar.One : TScalar.Zero;
        }
    }

    /// <summary>destination = min(max(x, lo), hi), NaN passing through (PyTorch's clamp).</summary>
    public static void Clamp(ReadOnlySpan<TScalar> x, TScalar lo, TScalar hi, Span<TScalar> destination)
    {
        ref TScalar x0 = ref MemoryMarshal.GetReference(x);
        ref TScalar d0 = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var l = Vector256.Create(lo);
            var h = Vector256.Create(hi);
            for (; i + Vector256<TScalar>.Count <= x.Length; i += Vector256<TScalar>.Count)
            {
                var v = Vector256.LoadUnsafe(ref x0, (nuint)i);
                v = Vector256.ConditionalSelect(Vector256.LessThan(v, l), l, v);
                v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, h), h, v);
                v.StoreUnsafe(ref d0, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            var v = x[i];
            destination[i] = v < lo ? lo : v > hi ? hi : v;
        }
    }

    /// <summary>y ← y + α (a ⊙ b), as addcmul_: (α a) b + y.</summary>
    public static void AddProduct(Span<TScalar> y, ReadOnlySpan<TScalar> a, ReadOnlySpan<TScalar> b, TScalar alpha)
    {
        ref TScalar y0 = ref MemoryMarshal.GetReference(y);
        ref TScalar a0 = ref MemoryMarshal.GetReference(a);
        ref TScalar b0 = ref MemoryMarshal.GetReference(b);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(alpha);
            for (; i + Vector256<TScalar>.Count <= y.Length; i += Vector256<TScalar>.Count)
            {
                var v = Width256<TScalar>.MultiplyAdd(s * Vector256.LoadUnsafe(ref a0, (nuint)i), Vector256.LoadUnsafe(ref b0, (nuint)i),
                    Vector256.LoadUnsafe(ref y0, (nuint)i));
                v.StoreUnsafe(ref y0, (nuint)i);
            }
        }
        for (; i < y.Length; i++) y[i] = Scalar<TScalar>.MultiplyAdd(alpha * a[i], b[i], y[i]);
    }

    /// <summary>y ← y + α (a ⊘ b), as addcdiv_: α (a / b) + y.</summary>
    public static void AddQuotient(Span<TScalar> y, ReadOnlySpan<TScalar> a, ReadOnlySpan<TScalar> b, TScalar alpha)
    {
        ref TScalar y0 = ref MemoryMarshal.GetReference(y);
        ref TScalar a0 = ref MemoryMarshal.GetReference(a);
        ref TScalar b0 = ref MemoryMarshal.GetReference(b);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(alpha);
            for (; i + Vector256<TScalar>.Count <= y.Length; i += Vector256<TScalar>.Count)
            {
                var q = Vector256.LoadUnsafe(ref a0, (nuint)i) / Vector256.LoadUnsafe(ref b0, (nuint)i);
                Width256<TScalar>.MultiplyAdd(s, q, Vector256.LoadUnsafe(ref y0, (nuint)i)).StoreUnsafe(ref y0, (nuint)i);
            }
        }
        for (; i < y.Length; i++) y[i] = Scalar<TScalar>.MultiplyAdd(alpha, a[i] / b[i], y[i]);
    }

    /// <summary>y ← √y + c.</summary>
    public static void SqrtAdd(Span<TScalar> y, TScalar c)
    {
        TensorPrimitives.Sqrt(y, y);
        TensorPrimitives.Add(y, c, y);
    }

    /// <summary>destination = 1 − t·t (the product rounded first, as TorchSharp's <c>1 - t * t</c>).</summary>
    public static void OneMinusSquare(ReadOnlySpan<TScalar> t, Span<TScalar> destination)
    {
        TensorPrimitives.Multiply(t, t, destination);
        TensorPrimitives.Subtract(TScalar.One, destination, destination);
    }

    /// <summary>destination = s·(1 − s) (the difference rounded first).</summary>
    public static void TimesOneMinus(ReadOnlySpan<TScalar> s, Span<TScalar> destination)
    {
        ref TScalar s0 = ref MemoryMarshal.GetReference(s);
        ref TScalar d0 = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(TScalar.One);
            for (; i + Vector256<TScalar>.Count <= s.Length; i += Vector256<TScalar>.Count)
            {
                var v = Vector256.LoadUnsafe(ref s0, (nuint)i);
                (v * (one - v)).StoreUnsafe(ref d0, (nuint)i);
            }
        }
        for (; i < s.Length; i++) destination[i] = s[i] * (TScalar.One - s[i]);
    }

    /// <summary>destination = (−2 t) ⊙ d (tanh'' from tanh and tanh').</summary>
    public static void MinusTwiceProduct(ReadOnlySpan<TScalar> t, ReadOnlySpan<TScalar> d, Span<TScalar> destination)
    {
        TensorPrimitives.Multiply(t, TScalar.CreateTruncating(-2.0), destination);
        TensorPrimitives.Multiply(destination, d, destination);
    }

    /// <summary>destination = d ⊙ (1 − 2 s) (sigmoid'' from sigmoid and sigmoid').</summary>
    public static void TimesOneMinusTwice(ReadOnlySpan<TScalar> d, ReadOnlySpan<TScalar> s, Span<TScalar> destination)
    {
        ref TScalar s0 = ref MemoryMarshal.GetReference(s);
        ref TScalar e0 = ref MemoryMarshal.GetReference(d);
        ref TScalar d0 = ref MemoryMarshal.GetReference(destination);
        var two = TScalar.CreateTruncating(2.0);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(TScalar.One);
            var twos = Vector256.Create(two);
            for (; i + Vector256<TScalar>.Count <= s.Length; i += Vector256<TScalar>.Count)
            {
                var v = Vector256.LoadUnsafe(ref s0, (nuint)i);
                (Vector256.LoadUnsafe(ref e0, (nuint)i) * (one - twos * v)).StoreUnsafe(ref d0, (nuint)i);
            }
        }
        for (; i < s.Length; i++) destination[i] = d[i] * (TScalar.One - two * s[i]);
    }

    /// <summary>destination = 1 where x &gt; 0, else 0 (ReLU', PyTorch's choice at the kink; NaN gives 0).</summary>
    public static void Positive(ReadOnlySpan<TScalar> x, Span<TScalar> destination)
    {
        ref TScalar x0 = ref MemoryMarshal.GetReference(x);
        ref TScalar d0 = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(TScalar.One);
            for (; i + Vector256<TScalar>.Count <= x.Length; i += Vector256<TScalar>.Count)
                (Vector256.GreaterThan(Vector256.LoadUnsafe(ref x0, (nuint)i), Vector256<TScalar>.Zero) & one).StoreUnsafe(ref d0, (nuint)i);
        }
        for (; i < x.Length; i++) destination[i] = x[i] > TScalar.Zero ? TScalar.One : TScalar.Zero;
    }

    /// <summary>destination = 1 where a &gt; b, else 0.</summary>
    public static void Greater(ReadOnlySpan<TScalar> a, ReadOnlySpan<TScalar> b, Span<TScalar> destination)
    {
        for (int i = 0; i < a.Length; i++) destination[i] = a[i] > b[i] ? TScalar.One : TScalar.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TScalar Of(double value) => TScalar.CreateTruncating(value);
}
