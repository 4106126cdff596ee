using System.Numerics.Tensors;
using RobustNode.Core.Engines.Managed.Kernels;

namespace RobustNode.Core.Engines.Managed;

// The state algebra of the Runge–Kutta stepper and the elementwise arithmetic of IEngine, including the in-place
// updates of the optimizers. Large operands are split into fixed element blocks (threads permitting).
public sealed partial class ManagedEngine<TScalar>
{
    // ---- IStateAlgebra ----------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public ManagedTensor<TScalar> AddScaled(ManagedTensor<TScalar> y, ReadOnlySpan<double> weights, ReadOnlySpan<ManagedTensor<TScalar>> terms)
    {
        CheckTerms("AddScaled", y, weights, terms);
        var result = New(y.Shape);
        Combine(y, weights, terms, result);
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> LinearCombination(ReadOnlySpan<double> weights, ReadOnlySpan<ManagedTensor<TScalar>> terms)
    {
        if (terms.IsEmpty) throw new ArgumentException("LinearCombination: at least one term is needed");
        CheckTerms("LinearCombination", terms[0], weights, terms);
        var result = New(terms[0].Shape);
        Combine(default, weights, terms, result);
        return result;
    }

    private void Combine(ManagedTensor<TScalar> y, ReadOnlySpan<double> weights, ReadOnlySpan<ManagedTensor<TScalar>> terms, ManagedTensor<TScalar> result)
    {
        int count = result.Count;
        if (Threads == 1 || count < Blocks.ParallelWork || Blocks.SingleThreaded)
        {
            ElementwiseKernels<TScalar>.Combine(y.IsNone ? default : y.Span, weights, terms, result.Span, 0, count);
            return;
        }
        var w = weights.ToArray();
        var t = terms.ToArray();
        Blocks.Run(Threads, count, Blocks.ElementBlock, count * (long)(t.Length + 1), (y, w, t, result),
            static (s, start, end) => ElementwiseKernels<TScalar>.Combine(s.y.IsNone ? default : s.y.Span, s.w, s.t, s.result.Span, start, end));
    }

    private static void CheckTerms(string operation, ManagedTensor<TScalar> y, ReadOnlySpan<double> weights, ReadOnlySpan<ManagedTensor<TScalar>> terms)
    {
        if (weights.Length != terms.Length)
            throw new ArgumentException($"{operation}: {weights.Length} weights for {terms.Length} terms");
        var shape = Live(y).Shape;
        for (int i = 0; i < terms.Length; i++)
            if (weights[i] != 0 && Live(terms[i]).Shape != shape)
                throw new ArgumentException($"{operation}: term {i} has shape {terms[i].Shape}, the state {shape}");
    }

    /// <inheritdoc/>
    public (double SumOfSquares, long Count) ScaledSquares(ManagedTensor<TScalar> v, ManagedTensor<TScalar> ya, ManagedTensor<TScalar> yb, double rtol, double atol)
    {
        SameShape("ScaledSquares", v, ya);
        SameShape("ScaledSquares", v, yb);
        return (ReductionKernels<TScalar>.ScaledSquares(v.Span, ya.Span, yb.Span, rtol, atol), v.Count);
    }

    /// <inheritdoc/>
    public bool IsFinite(ManagedTensor<TScalar> y) => ReductionKernels<TScalar>.IsFinite(y.Span);

    // ---- Elementwise arithmetic -------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Add(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b, double alpha = 1)
    {
        int period = Broadcast("Add", a, b);
        var result = New(a.Shape);
        var destination = result.Span;
        var x = a.Span;
        var z = b.Span;
        var s = Of(alpha);
        for (int i = 0; i < destination.Length; i += period)
        {
            var d = destination.Slice(i, period);
            if (alpha == 1) TensorPrimitives.Add(x.Slice(i, period), z, d);
            else TensorPrimitives.FusedMultiplyAdd(z, s, x.Slice(i, period), d);
        }
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Multiply(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        int period = Broadcast("Multiply", a, b);
        var result = New(a.Shape);
        var destination = result.Span;
        var x = a.Span;
        var z = b.Span;
        for (int i = 0; i < destination.Length; i += period)
            TensorPrimitives.Multiply(x.Slice(i, period), z, destination.Slice(i, period));
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Scale(ManagedTensor<TScalar> a, double s)
    {
        var source = a.Span;
        var result = New(a.Shape);
        TensorPrimitives.Multiply(source, Of(s), result.Span);
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> ScaleRows(ManagedTensor<TScalar> x, ManagedTensor<TScalar> factors)
    {
        if (Live(factors).Shape.Rank != 1 || Live(x).Shape.Rank < 1 || factors.Shape[0] != x.Shape[0])
            throw new ArgumentException($"ScaleRows: factors must be [{(x.Shape.Rank < 1 ? "B" : x.Shape[0].ToString())}] for x {x.Shape}, got {factors.Shape}");
        var source = x.Span;
        var f = factors.Span;
        var result = New(x.Shape);
        var destination = result.Span;
        int n = f.Length == 0 ? 0 : source.Length / f.Length;
        for (int i = 0; i < f.Length; i++)
            TensorPrimitives.Multiply(source.Slice(i * n, n), f[i], destination.Slice(i * n, n));
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Sign(ManagedTensor<TScalar> a)
    {
        var source = a.Span;
        var result = New(a.Shape);
        ElementwiseKernels<TScalar>.Sign(source, result.Span);
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Clamp(ManagedTensor<TScalar> a, double min, double max)
    {
        var source = a.Span;
        var result = New(a.Shape);
        ElementwiseKernels<TScalar>.Clamp(source, Of(min), Of(max), result.Span);
        return result;
    }

    /// <inheritdoc/>
    public void AddInPlace(ManagedTensor<TScalar> y, ManagedTensor<TScalar> x, double alpha = 1)
    {
        int period = Broadcast("AddInPlace", y, x);
        var destination = y.Span;
        var z = x.Span;
        var s = Of(alpha);
        for (int i = 0; i < destination.Length; i += period)
        {
            var d = destination.Slice(i, period);
            if (alpha == 1) TensorPrimitives.Add(d, z, d);
            else TensorPrimitives.FusedMultiplyAdd(z, s, d, d);
        }
    }

    /// <inheritdoc/>
    public void ScaleInPlace(ManagedTensor<TScalar> y, double s)
    {
        var destination = y.Span;
        TensorPrimitives.Multiply(destination, Of(s), destination);
    }

    /// <inheritdoc/>
    public void AddProductInPlace(ManagedTensor<TScalar> y, ManagedTensor<TScalar> a, ManagedTensor<TScalar> b, double alpha)
    {
        SameShape("AddProductInPlace", y, a);
        SameShape("AddProductInPlace", y, b);
        ElementwiseKernels<TScalar>.AddProduct(y.Span, a.Span, b.Span, Of(alpha));
    }

    /// <inheritdoc/>
    public void AddQuotientInPlace(ManagedTensor<TScalar> y, ManagedTensor<TScalar> a, ManagedTensor<TScalar> b, double alpha)
    {
        SameShape("AddQuotientInPlace", y, a);
        SameShape("AddQuotientInPlace", y, b);
        ElementwiseKernels<TScalar>.AddQuotient(y.Span, a.Span, b.Span, Of(alpha));
    }

    /// <inheritdoc/>
    public void SqrtAddInPlace(ManagedTensor<TScalar> y, double c) => ElementwiseKernels<TScalar>.SqrtAdd(y.Span, Of(c));

    /// <inheritdoc/>
    public void CopyInPlace(ManagedTensor<TScalar> destination, ManagedTensor<TScalar> source)
    {
        SameShape("CopyInPlace", destination, source);
        source.Span.CopyTo(destination.Span);
    }

    /// <summary>
    /// The period with which b repeats along a: a's size when the shapes are equal, b's size when b has the shape of
    /// a's trailing dimensions (a row broadcast).
    /// </summary>
    private static int Broadcast(string operation, ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        var sa = Live(a).Shape;
        var sb = Live(b).Shape;
        if (sa == sb) return Math.Max(sa.Count, 1);
        bool trailing = sb.Rank < sa.Rank && sb.Count > 0;
        for (int i = 0; trailing && i < sb.Rank; i++) trailing = sb[sb.Rank - 1 - i] == sa[sa.Rank - 1 - i];
        if (!trailing)
            throw new ArgumentException($"{operation}: shapes {sa} and {sb} differ, and {sb} is not the trailing part of {sa}");
        return sb.Count;
    }
}
