using RobustNode.Core.Engines.Managed.Kernels;

namespace RobustNode.Core.Spectral;

/// <summary>
/// Singular values of dense matrices: the Gram matrix of the shorter side, AᵀA or AAᵀ, formed in managed code and
/// diagonalised by the cyclic Jacobi method (up to <see cref="JacobiLimit"/> rows, with no native call), whose eigenvalues are accurate to rounding relative to
/// ‖A‖² (Demmel &amp; Veselić 1992). So ‖A‖₂ is exact up to rounding, and the projection onto the spectral-norm ball
/// clips the singular values themselves. Matrices are row-major [rows, cols].
/// </summary>
/// <remarks>Golub &amp; Van Loan, "Matrix Computations", 4th ed., §8.5 (the cyclic Jacobi algorithm, Algorithm 8.5.2).
/// A Gram matrix larger than <see cref="JacobiLimit"/> is diagonalised by LAPACK's symmetric eigensolver through libtorch
/// instead (tridiagonal reduction, §8.3), with the same accuracy relative to ‖A‖².</remarks>
internal static class DenseSpectrum
{
    private const int MaxSweeps = 60;

    /// <summary>
    /// The largest Gram matrix diagonalised by the Jacobi sweeps: each sweep costs O(n³) in scalar code that reads
    /// columns, which at n = 512 takes minutes, where LAPACK's tridiagonal reduction takes a fraction of a second.
    /// </summary>
    internal const int JacobiLimit = 64;

    /// <summary>‖A‖₂, the largest singular value of A [rows, cols].</summary>
    public static double SpectralNorm(ReadOnlySpan<double> a, int rows, int cols)
    {
        var (values, _, _) = Gram(a, rows, cols);
        double largest = 0;
        foreach (var v in values) largest = Math.Max(largest, v);
        return Math.Sqrt(largest);
    }

    /// <summary>The singular values of A [rows, cols], largest first (min(rows, cols) of them).</summary>
    public static double[] SingularValues(ReadOnlySpan<double> a, int rows, int cols)
    {
        var (values, _, _) = Gram(a, rows, cols);
        return values.Select(v => Math.Sqrt(Math.Max(v, 0))).OrderDescending().ToArray();
    }

    /// <summary>
    /// The matrix of the ball ‖·‖₂ ≤ <paramref name="radius"/> nearest to A in the Frobenius norm: A = UΣVᵀ with every
    /// singular value above the radius clipped to it, min(Σ, r) (a copy of A when ‖A‖₂ ≤ r already).
    /// </summary>
    public static double[] ClipSingularValues(ReadOnlySpan<double> a, int rows, int cols, double radius)
    {
        if (!(radius >= 0)) throw new ArgumentOutOfRangeException(nameof(radius), "the radius must be non-negative");
        var (values, vectors, right) = Gram(a, rows, cols);
        int n = values.Length;
        var shrink = new double[n];
        bool any = false;
        for (int i = 0; i < n; i++)
        {
            double sigma = Math.Sqrt(Math.Max(values[i], 0));
            shrink[i] = sigma > radius ? 1 - radius / sigma : 0;
            any |= shrink[i] > 0;
        }
        var result = a.ToArray();
        if (!any) return result;
        // A − A P (right side) or A − P A (left side), P = Q diag(shrink) Qᵀ.
        var ap = TimesGramFunction(a, rows, cols, vectors, shrink, right);
        for (int i = 0; i < result.Length; i++) result[i] -= ap[i];
        return result;
    }

    /// <summary>
    /// The matrix nearest to A in the Frobenius norm whose nonzero singular values all equal <paramref name="radius"/>:
    /// r U Vᵀ for A = UΣVᵀ, the polar factor of A scaled by r (Higham, "Functions of Matrices", 2008, Theorem 8.4). With
    /// rows ≤ cols and A of full rank its rows are orthonormal times r. Computed as r A Q Λ^{-1/2} Qᵀ (or r Q Λ^{-1/2} Qᵀ A)
    /// from the eigenpairs (Λ, Q) of the shorter side's Gram matrix; directions of a zero singular value stay zero.
    /// </summary>
    public static double[] PolarFactor(ReadOnlySpan<double> a, int rows, int cols, double radius)
    {
        if (!(radius >= 0)) throw new ArgumentOutOfRangeException(nameof(radius), "the radius must be non-negative");
        var (values, vectors, right) = Gram(a, rows, cols);
        int n = values.Length;
        double largest = values.Max();
        var scale = new double[n];
        for (int i = 0; i < n; i++)
            scale[i] = values[i] > 1e-24 * largest && values[i] > 0 ? radius / Math.Sqrt(values[i]) : 0;
        // A P (right side) or P A (left side), P = Q diag(r/σ) Qᵀ.
        return TimesGramFunction(a, rows, cols, vectors, scale, right);
    }

    /// <summary>
    /// A P (<paramref name="right"/>) or P A, where P = Q diag(d) Qᵀ is a function of the shorter side's Gram matrix given
    /// by its eigenvectors Q (columns, row-major n×n, from <see cref="Gram"/>) and the weights d of its eigenvalues.
    /// </summary>
    private static double[] TimesGramFunction(ReadOnlySpan<double> a, int rows, int cols, double[] vectors, double[] d, bool right)
    {
        int n = d.Length;
        // P = (Q diag d) Qᵀ and then A P or P A, by the managed engine's vectorised product.
        var scaled = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) scaled[i * n + k] = vectors[i * n + k] * d[k];
        var transposed = new double[n * n];
        DenseKernels<double>.Transpose(vectors, n, n, transposed);
        var p = new double[n * n];
        DenseKernels<double>.Product(scaled, n, 1, transposed, n, default, p, n, n, n, n);
        var result = new double[rows * cols];
        if (right) DenseKernels<double>.Product(a, cols, 1, p, cols, default, result, cols, rows, cols, cols);
        else DenseKernels<double>.Product(p, rows, 1, a, cols, default, result, cols, rows, cols, rows);
        return result;
    }

    /// <summary>
    /// Eigenvalues and eigenvectors (columns, row-major n×n) of the Gram matrix of the shorter side: AᵀA (right = true,
    /// n = cols) when cols ≤ rows, AAᵀ (right = false, n = rows) otherwise.
    /// </summary>
    private static (double[] Values, double[] Vectors, bool Right) Gram(ReadOnlySpan<double> a, int rows, int cols)
    {
        if (rows < 1 || cols < 1 || a.Length != rows * cols)
            throw new ArgumentException($"expected a {rows}×{cols} matrix of {rows * cols} values, got {a.Length}", nameof(a));
        bool right = cols <= rows;
        int n = right ? cols : rows;
        var g = new double[n * n];
        // The managed engine's vectorised product: AᵀA reads A by columns, AAᵀ multiplies A by its transpose.
        if (right) DenseKernels<double>.Product(a, 1, cols, a, cols, default, g, n, n, n, rows);
        else
        {
            var transposed = new double[a.Length];
            DenseKernels<double>.Transpose(a, rows, cols, transposed);
            DenseKernels<double>.Product(a, cols, 1, transposed, rows, default, g, n, n, n, cols);
        }
        // Exactly symmetric, whichever kernel path formed each entry.
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) g[j * n + i] = g[i * n + j];
        var (values, vectors) = n <= JacobiLimit ? SymmetricEigen(g, n) : LapackEigen(g, n);
        return (values, vectors, right);
    }

    /// <summary>
    /// <see cref="SymmetricEigen"/> by LAPACK's symmetric eigensolver (torch.linalg.eigh, float64 on the CPU), in the same
    /// layout. A matrix with a NaN or an infinity is not handed to LAPACK (an error there would end the process): its
    /// eigenvalues are NaN, as the Jacobi sweeps would give.
    /// </summary>
    internal static (double[] Values, double[] Vectors) LapackEigen(double[] symmetric, int n)
    {
        if (!symmetric.All(double.IsFinite))
        {
            var identity = new double[n * n];
            for (int i = 0; i < n; i++) identity[i * n + i] = 1;
            return (Enumerable.Repeat(double.NaN, n).ToArray(), identity);
        }
        using var scope = TorchSharp.torch.NewDisposeScope();
        var (values, vectors) = TorchSharp.torch.linalg.eigh(TorchSharp.torch.tensor(symmetric, [n, n], TorchSharp.torch.ScalarType.Float64));
        return (values.contiguous().data<double>().ToArray(), vectors.contiguous().data<double>().ToArray());
    }

    /// <summary>
    /// Eigenvalues and eigenvectors (columns) of a symmetric matrix by cyclic Jacobi rotations: sweeps over every pair
    /// (p, q) until the off-diagonal part is below rounding relative to the matrix.
    /// </summary>
    public static (double[] Values, double[] Vectors) SymmetricEigen(double[] symmetric, int n)
    {
        var s = (double[])symmetric.Clone();
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        double scale = 0;
        foreach (var x in s) scale += x * x;
        double threshold = 1e-32 * scale;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += s[p * n + q] * s[p * n + q];
            if (off <= threshold) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = s[p * n + q];
                    if (apq == 0) continue;
                    // Golub & Van Loan, Algorithm 8.5.1 (sym.schur2): the rotation that zeroes (p, q).
                    double tau = (s[q * n + q] - s[p * n + p]) / (2 * apq);
                    double t = (tau >= 0 ? 1 : -1) / (Math.Abs(tau) + Math.Sqrt(1 + tau * tau));
                    double c = 1 / Math.Sqrt(1 + t * t), sn = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double kp = s[k * n + p], kq = s[k * n + q];
                        s[k * n + p] = c * kp - sn * kq;
                        s[k * n + q] = sn * kp + c * kq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double pk = s[p * n + k], qk = s[q * n + k];
                        s[p * n + k] = c * pk - sn * qk;
                        s[q * n + k] = sn * pk + c * qk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double kp = v[k * n + p], kq = v[k * n + q];
                        v[k * n + p] = c * kp - sn * kq;
                        v[k * n + q] = sn * kp + c * kq;
                    }
                }
        }
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = s[i * n + i];
        return (values, v);
    }
}
