using System.Numerics.Tensors;
using RobustNode.Core.Engines.Managed.Kernels;

namespace RobustNode.Core.Engines.Managed;

// Dense linear algebra on 2-D operands and the sums over the batch. Products over rows split into row blocks;
// sums over the batch add fixed chunks of rows, then the chunks in order, so that results do not depend on threads.
public sealed partial class ManagedEngine<TScalar>
{
    /// <summary>Rows per partial sum of a reduction over the batch (<see cref="TransposedMatMul"/>, <see cref="SumRows"/>).</summary>
    private const int ReductionChunk = 256;

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Linear(ManagedTensor<TScalar> x, ManagedTensor<TScalar> weight, ManagedTensor<TScalar> bias)
    {
        var (batch, n) = Matrix("Linear", "x", x);
        var (m, wn) = Matrix("Linear", "weight", weight);
        if (wn != n) throw new ArgumentException($"Linear: x is {x.Shape}, so the weight must be [m, {n}], got {weight.Shape}");
        if (!bias.IsNone && (Live(bias).Shape.Rank != 1 || bias.Shape[0] != m))
            throw new ArgumentException($"Linear: the weight is {weight.Shape}, so the bias must be [{m}], got {bias.Shape}");
        var result = New(ManagedShape.Of(batch, m));
        // The broadcast-and-FMA kernel reads rows of Wᵀ [n, m]: one small transpose per call.
        using var scratch = Scratch(n * m, out var transposed);
        DenseKernels<TScalar>.Transpose(weight.Span, m, n, transposed);
        var init = bias.IsNone ? default : bias;
        Product(x, n, 1, scratch.Value, m, init, result, batch, m, n);
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> MatMul(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        var (batch, m) = Matrix("MatMul", "a", a);
        var (bm, n) = Matrix("MatMul", "b", b);
        if (bm != m) throw new ArgumentException($"MatMul: a is {a.Shape}, so b must be [{m}, n], got {b.Shape}");
        var result = New(ManagedShape.Of(batch, n));
        Product(a, m, 1, b, n, default, result, batch, n, m);
        return result;
    }

    /// <inheritdoc/>
    public (ManagedTensor<TScalar> First, ManagedTensor<TScalar> Second) SecondOrderPullback(ManagedTensor<TScalar> p, ManagedTensor<TScalar> m,
        ManagedTensor<TScalar> weight, ManagedTensor<TScalar> s, ManagedTensor<TScalar> d1, ManagedTensor<TScalar> d2)
    {
        var (batch, n) = Matrix("SecondOrderPullback", "p", p);
        var (wn, k) = Matrix("SecondOrderPullback", "weight", weight);
        if (wn != n) throw new ArgumentException($"SecondOrderPullback: p is {p.Shape}, so the weight must be [{n}, k], got {weight.Shape}");
        if (Live(m).Shape != p.Shape) throw new ArgumentException($"SecondOrderPullback: m must be shaped like p {p.Shape}, got {m.Shape}");
        var shape = ManagedShape.Of(batch, k);
        if (Live(s).Shape != shape || Live(d1).Shape != shape || Live(d2).Shape != shape)
            throw new ArgumentException($"SecondOrderPullback: s, d1 and d2 must be {shape}, got {s.Shape}, {d1.Shape} and {d2.Shape}");
        var first = New(shape);
        var second = New(shape);
        // Row blocks: each block's products and elementwise steps stay in cache, and the rows are independent.
        Blocks.Run(Threads, batch, Blocks.RowBlock(k), 2L * batch * n * k, (p, m, weight, s, d1, d2, first, second, n, k),
            static (st, r0, r1) => PullbackRows(st.p, st.m, st.weight, st.s, st.d1, st.d2, st.first, st.second, st.n, st.k, r0, r1));
        return (first, second);
    }

    // Rows r0 … r1 − 1 of the pullback: P and M by the product kernel (the same FMA chains as MatMul), then the
    // elementwise steps with one rounding each, in the order of the unfused sequence.
    private static void PullbackRows(ManagedTensor<TScalar> p, ManagedTensor<TScalar> m, ManagedTensor<TScalar> weight, ManagedTensor<TScalar> s,
        ManagedTensor<TScalar> d1, ManagedTensor<TScalar> d2, ManagedTensor<TScalar> first, ManagedTensor<TScalar> second, int n, int k, int r0, int r1)
    {
        int rows = r1 - r0, count = rows * k;
        var f = first.Span.Slice(r0 * k, count);
        var g = second.Span.Slice(r0 * k, count);
        var w = weight.Span;
        DenseKernels<TScalar>.Product(p.Span[(r0 * n)..], n, 1, w, k, default, f, k, rows, k, n);
        DenseKernels<TScalar>.Product(m.Span[(r0 * n)..], n, 1, w, k, default, g, k, rows, k, n);
        var a1 = d1.Span.Slice(r0 * k, count);
        using var scratch = Scratch(count, out var t);
        TensorPrimitives.Multiply(d2.Span.Slice(r0 * k, count), s.Span.Slice(r0 * k, count), t);
        TensorPrimitives.Multiply(t, f, t);
        TensorPrimitives.Multiply(a1, g, g);
        TensorPrimitives.Add(g, t, g);
        TensorPrimitives.Multiply(a1, f, f);
    }

    /// <summary>result [rows, cols] = init + A B with A read at (r·ars + k·aks), B [depth, cols] with row stride ldb, split into row blocks.</summary>
    private void Product(ManagedTensor<TScalar> a, int ars, int aks, ManagedTensor<TScalar> b, int ldb, ManagedTensor<TScalar> init,
        ManagedTensor<TScalar> result, int rows, int cols, int depth)
    {
        long work = (long)rows * cols * depth;
        if (Threads == 1 || work < Blocks.ParallelWork || Blocks.SingleThreaded)
        {
            DenseKernels<TScalar>.Product(a.Span, ars, aks, b.Span, ldb, init.IsNone ? default : init.Span, result.Span, cols, rows, cols, depth);
            return;
        }
        Blocks.Run(Threads, rows, Blocks.RowBlock(cols), work, (a, ars, aks, b, ldb, init, result, cols, depth),
            static (s, start, end) => DenseKernels<TScalar>.Product(s.a.Span[(start * s.ars)..], s.ars, s.aks, s.b.Span, s.ldb,
                s.init.IsNone ? default : s.init.Span, s.result.Span[(start * s.cols)..], s.cols, end - start, s.cols, s.depth));
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> TransposedMatMul(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        var (m, n) = TransposedShape("TransposedMatMul", a, b);
        var result = New(ManagedShape.Of(m, n));
        TransposedProduct(a, b, result);
        return result;
    }

    /// <inheritdoc/>
    public void AddTransposedMatMulInPlace(ManagedTensor<TScalar> y, ManagedTensor<TScalar> a, ManagedTensor<TScalar> b, double alpha = 1)
    {
        var (m, n) = TransposedShape("AddTransposedMatMulInPlace", a, b);
        if (Live(y).Shape != ManagedShape.Of(m, n))
            throw new ArgumentException($"AddTransposedMatMulInPlace: aᵀb is [{m}, {n}], the accumulator {y.Shape}");
        // aᵀb first, then added with one rounding (libtorch's addmm_: y + α (aᵀb)).
        using var product = Scratch(m * n, out _);
        var p = product.Value.Reshape(ManagedShape.Of(m, n));
        TransposedProduct(a, b, p);
        AddScaledInto(y.Span, p.Span, alpha);
    }

    /// <inheritdoc/>
    public void AddSumRowsInPlace(ManagedTensor<TScalar> y, ManagedTensor<TScalar> x, double alpha = 1)
    {
        var (_, n) = Samples("AddSumRowsInPlace", "x", x);
        if (Live(y).Shape != x.Shape.WithoutFirst())
            throw new ArgumentException($"AddSumRowsInPlace: the sum over the rows of {x.Shape} is {x.Shape.WithoutFirst()}, the accumulator {y.Shape}");
        using var sum = Scratch(n, out _);
        var s = sum.Value.Reshape(y.Shape);
        SumRowsInto(x, s);
        AddScaledInto(y.Span, s.Span, alpha);
    }

    private static void AddScaledInto(Span<TScalar> y, ReadOnlySpan<TScalar> x, double alpha)
    {
        if (alpha == 1) TensorPrimitives.Add(y, x, y);
        else TensorPrimitives.FusedMultiplyAdd(x, Of(alpha), y, y);
    }

    private static (int M, int N) TransposedShape(string operation, ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        var (batch, m) = Matrix(operation, "a", a);
        var (bb, n) = Matrix(operation, "b", b);
        if (bb != batch) throw new ArgumentException($"{operation}: a is {a.Shape} and b is {b.Shape}; their first dimensions must agree");
        return (m, n);
    }

    /// <summary>result [m, n] = aᵀ b: partial products over fixed chunks of rows, then their sum in chunk order.</summary>
    private void TransposedProduct(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b, ManagedTensor<TScalar> result)
    {
        int batch = a.Shape[0], m = a.Shape[1], n = b.Shape[1];
        int chunks = Blocks.Count(batch, ReductionChunk);
        if (chunks <= 1)
        {
            DenseKernels<TScalar>.Product(a.Span, 1, m, b.Span, n, default, result.Span, n, m, n, batch);
            return;
        }
        // Partial products over chunks of rows, then their sum in chunk order.
        using var scratch = Scratch(chunks * m * n, out var partials);
        var state = (a, b, partials: scratch.Value, m, n, batch);
        Blocks.Run(Threads, chunks, 1, (long)batch * m * n, state, static (s, c0, c1) =>
        {
            for (int c = c0; c < c1; c++)
            {
                int start = c * ReductionChunk, rows = Math.Min(ReductionChunk, s.batch - start);
                DenseKernels<TScalar>.Product(s.a.Span[(start * s.m)..], 1, s.m, s.b.Span[(start * s.n)..], s.n, default,
                    s.partials.Span.Slice(c * s.m * s.n, s.m * s.n), s.n, s.m, s.n, rows);
            }
        });
        SumChunks(partials, chunks, m * n, result.Span);
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> SumRows(ManagedTensor<TScalar> x)
    {
        Samples("SumRows", "x", x);
        var result = New(x.Shape.WithoutFirst());
        SumRowsInto(x, result);
        return result;
    }

    /// <summary>result = Σᵢ x[i, …]: fixed chunks of rows summed in order, then the chunks in order.</summary>
    private void SumRowsInto(ManagedTensor<TScalar> x, ManagedTensor<TScalar> result)
    {
        int batch = x.Shape[0], n = x.Shape.RowLength;
        int chunks = Blocks.Count(batch, ReductionChunk);
        if (chunks <= 1)
        {
            DenseKernels<TScalar>.SumRows(x.Span, batch, n, result.Span);
            return;
        }
        using var scratch = Scratch(chunks * n, out var partials);
        var state = (x, partials: scratch.Value, n, batch);
        Blocks.Run(Threads, chunks, 1, (long)batch * n, state, static (s, c0, c1) =>
        {
            for (int c = c0; c < c1; c++)
            {
                int start = c * ReductionChunk, rows = Math.Min(ReductionChunk, s.batch - start);
                DenseKernels<TScalar>.SumRows(s.x.Span.Slice(start * s.n, rows * s.n), rows, s.n, s.partials.Span.Slice(c * s.n, s.n));
            }
        });
        SumChunks(partials, chunks, n, result.Span);
    }

    private static void SumChunks(ReadOnlySpan<TScalar> partials, int chunks, int size, Span<TScalar> destination)
    {
        partials[..size].CopyTo(destination);
        for (int c = 1; c < chunks; c++) TensorPrimitives.Add(destination, partials.Slice(c * size, size), destination);
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> SumPerSample(ManagedTensor<TScalar> x)
    {
        var (batch, n) = Samples("SumPerSample", "x", x);
        var result = New(ManagedShape.Of(batch));
        var source = x.Span;
        var destination = result.Span;
        for (int i = 0; i < batch; i++) destination[i] = RowSum(source.Slice(i * n, n));
        return result;
    }

    /// <summary>The sum of a short row: in order for a few elements, vectorised for more.</summary>
    private static TScalar RowSum(ReadOnlySpan<TScalar> row)
    {
        if (row.Length >= 16) return TensorPrimitives.Sum(row);
        var s = TScalar.Zero;
        foreach (var v in row) s += v;
        return s;
    }

    /// <summary>A temporary value of <paramref name="count"/> elements, released when disposed (not owned by any scope).</summary>
    private static ScratchValue Scratch(int count, out Span<TScalar> span)
    {
        var value = new ManagedTensor<TScalar>(Scopes.Rent(count), 0, ManagedShape.Of(count));
        span = value.Span;
        return new ScratchValue(value);
    }

    private readonly struct ScratchValue(ManagedTensor<TScalar> value) : IDisposable
    {
        public ManagedTensor<TScalar> Value { get; } = value;
        public void Dispose() => Scopes.Return(Value.Storage!);
    }
}
