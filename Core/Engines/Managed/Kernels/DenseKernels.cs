using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RobustNode.Core.Engines.Managed.Kernels;

/// <summary>
/// Small dense products over row-major spans. One register-blocked kernel serves the affine layer x Wᵀ + b, the
/// pull-back p W and the weight gradient aᵀ b: each computes
/// <c>C[r, c] = init[c] + Σ_k A[r·ars + k·aks] B[k·ldb + c]</c>, vectorised along the output row c (the features) with
/// the broadcast-and-FMA (outer-product) loop order, four rows at a time so that four independent FMA chains hide the
/// FMA latency, and <c>init</c> (the bias) as the first term. Each output element is one FMA chain over k in increasing
/// order, whichever block it falls in: the result does not depend on how the rows are split.
/// </summary>
internal static class DenseKernels<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    /// <summary>
    /// C[r, c] = init[c] (or 0 when <paramref name="init"/> is empty) + Σ_{k &lt; depth} A[r·ars + k·aks] B[k·ldb + c]
    /// for r &lt; rows, c &lt; cols; C has row stride <paramref name="ldc"/>.
    /// </summary>
    public static void Product(ReadOnlySpan<TScalar> a, int ars, int aks, ReadOnlySpan<TScalar> b, int ldb,
        ReadOnlySpan<TScalar> init, Span<TScalar> c, int ldc, int rows, int cols, int depth)
    {
        if (rows == 0 || cols == 0) return;
        if (Width512<TScalar>.IsAccelerated && cols >= Width512<TScalar>.Count)
            Product<System.Runtime.Intrinsics.Vector512<TScalar>, Width512<TScalar>>(a, ars, aks, b, ldb, init, c, ldc, rows, cols, depth);
        else if (Width256<TScalar>.IsAccelerated && cols >= Width256<TScalar>.Count)
            Product<System.Runtime.Intrinsics.Vector256<TScalar>, Width256<TScalar>>(a, ars, aks, b, ldb, init, c, ldc, rows, cols, depth);
        else if (Width128<TScalar>.IsAccelerated && cols >= Width128<TScalar>.Count)
            Product<System.Runtime.Intrinsics.Vector128<TScalar>, Width128<TScalar>>(a, ars, aks, b, ldb, init, c, ldc, rows, cols, depth);
        else
            ProductScalar(a, ars, aks, b, ldb, init, c, ldc, 0, rows, 0, cols, depth);
    }

    private static void Product<TVector, TWidth>(ReadOnlySpan<TScalar> a, int ars, int aks, ReadOnlySpan<TScalar> b, int ldb,
        ReadOnlySpan<TScalar> init, Span<TScalar> c, int ldc, int rows, int cols, int depth)
        where TVector : struct
        where TWidth : IVectorWidth<TVector, TScalar>
    {
        int v = TWidth.Count;
        ref TScalar a0 = ref MemoryMarshal.GetReference(a);
        ref TScalar b0 = ref MemoryMarshal.GetReference(b);
        ref TScalar c0 = ref MemoryMarshal.GetReference(c);
        bool hasInit = !init.IsEmpty;
        ref TScalar i0 = ref MemoryMarshal.GetReference(init);
        int vectorCols = cols - cols % v;

        int r = 0;
        // One vector of output columns (e.g. d = 8 in float): eight rows per block, so that eight independent FMA chains
        // cover the FMA latency (four would leave the units idle half the time on a depth-8 chain).
        if (vectorCols == v)
            for (; r + 8 <= rows; r += 8)
            {
                TVector s0 = hasInit ? TWidth.Load(ref i0, 0) : TWidth.Zero;
                TVector s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
                nint ai = (nint)r * ars, ar = ars;
                for (int k = 0; k < depth; k++, ai += aks)
                {
                    TVector p = TWidth.Load(ref b0, (nint)k * ldb);
                    s0 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai)), p, s0);
                    s1 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + ar)), p, s1);
                    s2 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + 2 * ar)), p, s2);
                    s3 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + 3 * ar)), p, s3);
                    s4 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + 4 * ar)), p, s4);
                    s5 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + 5 * ar)), p, s5);
                    s6 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + 6 * ar)), p, s6);
                    s7 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + 7 * ar)), p, s7);
                }
                nint ci = (nint)r * ldc, lc = ldc;
                TWidth.Store(s0, ref c0, ci);
                TWidth.Store(s1, ref c0, ci + lc);
                TWidth.Store(s2, ref c0, ci + 2 * lc);
                TWidth.Store(s3, ref c0, ci + 3 * lc);
                TWidth.Store(s4, ref c0, ci + 4 * lc);
                TWidth.Store(s5, ref c0, ci + 5 * lc);
                TWidth.Store(s6, ref c0, ci + 6 * lc);
                TWidth.Store(s7, ref c0, ci + 7 * lc);
            }
        for (; r + 4 <= rows; r += 4)
        {
            int j = 0;
            for (; j + 2 * v <= vectorCols; j += 2 * v)
            {
                TVector s0 = hasInit ? TWidth.Load(ref i0, j) : TWidth.Zero, t0 = hasInit ? TWidth.Load(ref i0, j + v) : TWidth.Zero;
                TVector s1 = s0, s2 = s0, s3 = s0, t1 = t0, t2 = t0, t3 = t0;
                nint ai = (nint)r * ars;
                for (int k = 0; k < depth; k++, ai += aks)
                {
                    nint bk = (nint)k * ldb + j;
                    TVector p = TWidth.Load(ref b0, bk), q = TWidth.Load(ref b0, bk + v);
                    TVector x0 = TWidth.Broadcast(Unsafe.Add(ref a0, ai));
                    TVector x1 = TWidth.Broadcast(Unsafe.Add(ref a0, ai + ars));
                    TVector x2 = TWidth.Broadcast(Unsafe.Add(ref a0, ai + 2 * (nint)ars));
                    TVector x3 = TWidth.Broadcast(Unsafe.Add(ref a0, ai + 3 * (nint)ars));
                    s0 = TWidth.MultiplyAdd(x0, p, s0); t0 = TWidth.MultiplyAdd(x0, q, t0);
                    s1 = TWidth.MultiplyAdd(x1, p, s1); t1 = TWidth.MultiplyAdd(x1, q, t1);
                    s2 = TWidth.MultiplyAdd(x2, p, s2); t2 = TWidth.MultiplyAdd(x2, q, t2);
                    s3 = TWidth.MultiplyAdd(x3, p, s3); t3 = TWidth.MultiplyAdd(x3, q, t3);
                }
                nint ci = (nint)r * ldc + j;
                TWidth.Store(s0, ref c0, ci); TWidth.Store(t0, ref c0, ci + v);
                TWidth.Store(s1, ref c0, ci + ldc); TWidth.Store(t1, ref c0, ci + ldc + v);
                TWidth.Store(s2, ref c0, ci + 2 * (nint)ldc); TWidth.Store(t2, ref c0, ci + 2 * (nint)ldc + v);
                TWidth.Store(s3, ref c0, ci + 3 * (nint)ldc); TWidth.Store(t3, ref c0, ci + 3 * (nint)ldc + v);
            }
            for (; j < vectorCols; j += v)
            {
                TVector s0 = hasInit ? TWidth.Load(ref i0, j) : TWidth.Zero;
                TVector s1 = s0, s2 = s0, s3 = s0;
                nint ai = (nint)r * ars;
                for (int k = 0; k < depth; k++, ai += aks)
                {
                    TVector p = TWidth.Load(ref b0, (nint)k * ldb + j);
                    s0 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai)), p, s0);
                    s1 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + ars)), p, s1);
                    s2 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + 2 * (nint)ars)), p, s2);
                    s3 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai + 3 * (nint)ars)), p, s3);
                }
                nint ci = (nint)r * ldc + j;
                TWidth.Store(s0, ref c0, ci);
                TWidth.Store(s1, ref c0, ci + ldc);
                TWidth.Store(s2, ref c0, ci + 2 * (nint)ldc);
                TWidth.Store(s3, ref c0, ci + 3 * (nint)ldc);
            }
        }
        for (; r < rows; r++)
        {
            for (int j = 0; j < vectorCols; j += v)
            {
                TVector s = hasInit ? TWidth.Load(ref i0, j) : TWidth.Zero;
                nint ai = (nint)r * ars;
                for (int k = 0; k < depth; k++, ai += aks)
                    s = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref a0, ai)), TWidth.Load(ref b0, (nint)k * ldb + j), s);
                TWidth.Store(s, ref c0, (nint)r * ldc + j);
            }
        }
        if (vectorCols < cols) ProductScalar(a, ars, aks, b, ldb, init, c, ldc, 0, rows, vectorCols, cols, depth);
    }

    /// <summary>
    /// The columns <paramref name="col0"/> … <paramref name="col1"/> − 1 of rows <paramref name="row0"/> … <paramref name="row1"/> − 1
    /// (narrow outputs), one FMA chain per element; the chains of two rows and two columns advance together so that
    /// their latencies overlap (a single chain over a batch of thousands would wait on each FMA).
    /// </summary>
    private static void ProductScalar(ReadOnlySpan<TScalar> a, int ars, int aks, ReadOnlySpan<TScalar> b, int ldb,
        ReadOnlySpan<TScalar> init, Span<TScalar> c, int ldc, int row0, int row1, int col0, int col1, int depth)
    {
        ref TScalar a0 = ref MemoryMarshal.GetReference(a);
        ref TScalar b0 = ref MemoryMarshal.GetReference(b);
        bool hasInit = !init.IsEmpty;
        int r = row0;
        for (; r + 2 <= row1; r += 2)
        {
            int j = col0;
            for (; j + 2 <= col1; j += 2)
            {
                TScalar i0 = hasInit ? init[j] : TScalar.Zero, i1 = hasInit ? init[j + 1] : TScalar.Zero;
                TScalar s00 = i0, s01 = i1, s10 = i0, s11 = i1;
                nint ai = (nint)r * ars, bi = j;
                for (int k = 0; k < depth; k++, ai += aks, bi += ldb)
                {
                    TScalar x0 = Unsafe.Add(ref a0, ai), x1 = Unsafe.Add(ref a0, ai + ars);
                    TScalar w0 = Unsafe.Add(ref b0, bi), w1 = Unsafe.Add(ref b0, bi + 1);
                    s00 = Scalar<TScalar>.MultiplyAdd(x0, w0, s00);
                    s01 = Scalar<TScalar>.MultiplyAdd(x0, w1, s01);
                    s10 = Scalar<TScalar>.MultiplyAdd(x1, w0, s10);
                    s11 = Scalar<TScalar>.MultiplyAdd(x1, w1, s11);
                }
                c[r * ldc + j] = s00; c[r * ldc + j + 1] = s01;
                c[(r + 1) * ldc + j] = s10; c[(r + 1) * ldc + j + 1] = s11;
            }
            if (j < col1) ProductScalar(a, ars, aks, b, ldb, init, c, ldc, r, r + 2, j, col1, depth, single: true);
        }
        if (r < row1) ProductScalar(a, ars, aks, b, ldb, init, c, ldc, r, row1, col0, col1, depth, single: true);
    }

    private static void ProductScalar(ReadOnlySpan<TScalar> a, int ars, int aks, ReadOnlySpan<TScalar> b, int ldb,
        ReadOnlySpan<TScalar> init, Span<TScalar> c, int ldc, int row0, int row1, int col0, int col1, int depth, bool single)
    {
        ref TScalar a0 = ref MemoryMarshal.GetReference(a);
        ref TScalar b0 = ref MemoryMarshal.GetReference(b);
        bool hasInit = !init.IsEmpty;
        for (int r = row0; r < row1; r++)
        {
            for (int j = col0; j < col1; j++)
            {
                TScalar s = hasInit ? init[j] : TScalar.Zero;
                nint ai = (nint)r * ars, bi = j;
                for (int k = 0; k < depth; k++, ai += aks, bi += ldb)
                    s = Scalar<TScalar>.MultiplyAdd(Unsafe.Add(ref a0, ai), Unsafe.Add(ref b0, bi), s);
                c[r * ldc + j] = s;
            }
        }
    }

    /// <summary>destination [cols, rows] ← sourceᵀ for source [rows, cols].</summary>
    public static void Transpose(ReadOnlySpan<TScalar> source, int rows, int cols, Span<TScalar> destination)
    {
        for (int i = 0; i < rows; i++)
        {
            var row = source.Slice(i * cols, cols);
            for (int j = 0; j < cols; j++) destination[j * rows + i] = row[j];
        }
    }

    /// <summary>
    /// destination [cols] ← Σ_r source[r, ·] over <paramref name="rows"/> rows, added in row order: vectorised along the
    /// row where it holds a vector, one row after another (no per-row library call: rows are short).
    /// </summary>
    public static void SumRows(ReadOnlySpan<TScalar> source, int rows, int cols, Span<TScalar> destination)
    {
        var d = destination[..cols];
        if (rows == 0) { d.Clear(); return; }
        source[..cols].CopyTo(d);
        ref TScalar s0 = ref MemoryMarshal.GetReference(source);
        ref TScalar d0 = ref MemoryMarshal.GetReference(d);
        int v = Vector256<TScalar>.Count, j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + v <= cols; j += v)
            {
                var acc = Vector256.LoadUnsafe(ref d0, (nuint)j);
                nint at = cols + j;
                for (int r = 1; r < rows; r++, at += cols) acc += Vector256.LoadUnsafe(ref s0, (nuint)at);
                acc.StoreUnsafe(ref d0, (nuint)j);
            }
        }
        for (; j < cols; j++)
        {
            var acc = d[j];
            nint at = cols + j;
            for (int r = 1; r < rows; r++, at += cols) acc += Unsafe.Add(ref s0, at);
            d[j] = acc;
        }
    }
}
