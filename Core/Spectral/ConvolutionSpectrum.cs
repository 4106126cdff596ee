using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Core.Spectral;

/// <summary>
/// The spectral norm of a convolution x ↦ K ∗ x on H×W images with zero padding k/2 and stride 1 (K [M, C, k, k]), two
/// ways: converged power iteration on the operator itself, an estimate from below, and a proven upper bound from the
/// circular convolution on the padded grid. TorchSharp only; every computation in float64.
/// </summary>
/// <remarks>
/// <para>The upper bound: on the grid of (H + k − 1)×(W + k − 1) pixels, the zero-padded image with its border of zeros
/// never wraps onto itself, so the zero-padded convolution is P_out C P_in with C the circular convolution of that grid
/// and P_in (zero extension), P_out (restriction) of norm 1; hence ‖K ∗ ·‖₂ ≤ ‖C‖₂. C is block-diagonalised by the
/// 2-D Fourier transform, ‖C‖₂ = max_ω σ₁(K̂(ω)) with K̂(ω) the M×C matrix of the kernel's transform at frequency ω
/// (Sedghi, Gupta &amp; Long 2019, "The Singular Values of Convolutional Layers", ICLR); frequencies ω and −ω give
/// conjugate matrices, so the half-spectrum of the real transform suffices. The σ₁(K̂(ω)) come from LAPACK's SVD, which
/// is backward stable (each computed singular value is within a small multiple of the unit roundoff times ‖K̂(ω)‖ of the
/// true one); a relative margin of 1e-10 covers that rounding, so the bound is proven.</para>
/// <para>Power iteration gives ‖Kv‖ for a unit v at every iterate, a lower bound that converges to ‖K ∗ ·‖₂; its slow
/// convergence on small images (close leading singular values) is why training projects with a warm-started estimate
/// and restores the proven bound at epoch boundaries.</para>
/// </remarks>
internal static class ConvolutionSpectrum
{
    /// <summary>The relative margin that covers the rounding of the SVD.</summary>
    public const double RoundingMargin = 1e-10;

    /// <summary>
    /// A proven upper bound of ‖K ∗ ·‖₂ on H×W images with zero padding k/2 (see the remarks), for K [M, C, k, k] with k odd:
    /// the exact norm of the circular convolution on the padded grid, times 1 + 1e-10.
    /// </summary>
    public static double UpperBound(Tensor kernel, long height, long width)
    {
        using var scope = NewDisposeScope();
        long k = kernel.shape[2];
        var spectrum = fft.rfft2(kernel.to(ScalarType.Float64), s: [height + k - 1, width + k - 1]);   // [M, C, H', W'/2 + 1]
        return linalg.svdvals(spectrum.permute(2, 3, 0, 1)).max().item<double>() * (1 + RoundingMargin);
    }

    /// <summary>
    /// A proven upper bound of ‖K ∗ ·‖₂ on images of every size (zero padding k/2, stride 1), for K [M, C, k, k] with k
    /// odd: the norm of the convolution on the infinite grid, sup_ω σ₁(K̂(ω)), bounded from the G×G frequency grid.
    /// </summary>
    /// <remarks>
    /// On any H×W image the zero-padded convolution is P_out T P_in with T the convolution on ℓ²(ℤ²), whose norm is
    /// sup_ω σ₁(K̂(ω)), K̂(ω) = Σ_t K_t e^{−iω·t} over the taps t = (u, v). Every ω lies within π/G of a grid frequency
    /// ω₀ = 2πj/G in each coordinate, and ‖K̂(ω) − K̂(ω₀)‖₂ ≤ Σ_t ‖K_t‖_F |(ω − ω₀)·t| ≤ (π/G) Σ_t ‖K_t‖_F (|u| + |v|),
    /// so sup_ω σ₁(K̂(ω)) ≤ max_grid σ₁(K̂(ω₀)) + (π/G) Σ_t ‖K_t‖_F (|u| + |v|) (σ₁ is 1-Lipschitz in the operator norm);
    /// the SVD's rounding is covered by the relative margin 1e-10 as in <see cref="UpperBound"/>. A denoiser applied to
    /// training patches and to whole images keeps one bound for both.
    /// </remarks>
    public static double UpperBoundOnAnyImage(Tensor kernel, long grid = 128)
    {
        using var scope = NewDisposeScope();
        var k64 = kernel.detach().to(ScalarType.Float64);
        long k = k64.shape[2], p = k / 2;
        var spectrum = fft.rfft2(k64, s: [grid, grid]);   // [M, C, G, G/2 + 1]; the kernel's offset is a phase, σ₁ is unchanged
        // One input or one output channel: K̂(ω) is a vector, σ₁ its Euclidean norm (no SVD per frequency needed).
        double sampled = k64.shape[0] == 1 || k64.shape[1] == 1
            ? spectrum.abs().pow(TorchScalars.Two).sum([0L, 1L]).max().sqrt().item<double>()
            : linalg.svdvals(spectrum.permute(2, 3, 0, 1)).max().item<double>();
        var tapNorms = k64.pow(TorchScalars.Two).sum([0L, 1L]).sqrt().data<double>().ToArray();   // ‖K_t‖_F, t row-major over k×k
        double slope = 0;
        for (long u = 0; u < k; u++)
            for (long v = 0; v < k; v++)
                slope += tapNorms[u * k + v] * (Math.Abs(u - p) + Math.Abs(v - p));
        return (sampled + Math.PI / grid * slope) * (1 + RoundingMargin);
    }

    /// <summary>
    /// ‖K ∗ ·‖₂ on H×W images with zero padding k/2 estimated by power iteration on KᵀK (a lower bound at every iterate),
    /// from a seeded start, until the estimate changes by less than the relative tolerance.
    /// </summary>
    /// <returns>The estimate and the iterations taken.</returns>
    public static (double Estimate, int Iterations) PowerIteration(Tensor kernel, long height, long width, ulong seed = 1,
        double tolerance = 1e-10, int maxIterations = 2000)
    {
        using var scope = NewDisposeScope();
        var k = kernel.to(ScalarType.Float64);
        long p = k.shape[2] / 2;
        using var generator = new Generator(seed);
        var v = randn([1, k.shape[1], height, width], dtype: ScalarType.Float64, generator: generator);
        v.div_(v.norm());
        double estimate = 0;
        for (int i = 1; i <= maxIterations; i++)
        {
            using var step = NewDisposeScope();
            var av = nn.functional.conv2d(v, k, padding: [p, p]);
            double next = av.norm().item<double>();
            var w = nn.functional.conv_transpose2d(av, k, padding: [p, p]);
            double norm = w.norm().item<double>();
            if (norm == 0) return (0, i);
            v = w.OverInPlace(norm).MoveToOuterDisposeScope();
            if (Math.Abs(next - estimate) <= tolerance * next) return (next, i);
            estimate = next;
        }
        return (estimate, maxIterations);
    }
}
