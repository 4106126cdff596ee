using RobustNode.Core.Engines;
using FsCheck.Xunit;
using RobustNode.Core.Spectral;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// Spectral norms: the managed singular values of dense matrices equal LAPACK's, and their clipping is the projection
/// onto the spectral-norm ball; the proven bound of a zero-padded convolution is never below its power-iteration
/// estimate, nor below ‖K ∗ x‖/‖x‖ for any x, nor below the exact norm of the operator written out as a matrix — and
/// the converged power iteration reaches that exact norm.
/// </summary>
public sealed class SpectralNormBounds
{
    [Property(MaxTest = 60)]
    public void Dense_singular_values_equal_lapack(int seed)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        int rows = rng.Next(1, 9), cols = rng.Next(1, 9);
        using var g = new Generator((ulong)(uint)seed);
        var a = randn([rows, cols], dtype: float64, generator: g) .Times(0.1 + 3 * rng.NextDouble());
        var expected = linalg.svdvals(a).data<double>().ToArray();
        var actual = DenseSpectrum.SingularValues(a.data<double>().ToArray(), rows, cols);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * expected[0], $"σ{i}: {actual[i]:R} vs LAPACK {expected[i]:R}");
        Assert.Equal(expected[0], DenseSpectrum.SpectralNorm(a.data<double>().ToArray(), rows, cols), 1e-12 * expected[0]);
    }

    [Property(MaxTest = 60)]
    public void Clipping_singular_values_is_the_projection_onto_the_ball(int seed)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        int rows = rng.Next(1, 8), cols = rng.Next(1, 8);
        using var g = new Generator((ulong)(uint)seed + 1);
        var a = randn([rows, cols], dtype: float64, generator: g);
        double radius = rng.NextDouble() * linalg.svdvals(a).max().item<double>() * 1.2;
        var clipped = tensor(DenseSpectrum.ClipSingularValues(a.data<double>().ToArray(), rows, cols, radius), [rows, cols], float64);
        var (u, s, vh) = linalg.svd(a, fullMatrices: false);
        var expected = u.matmul(diag(s.Clamped(0, radius))).matmul(vh);
        Assert.True((clipped - expected).abs().max().item<double>() <= 1e-11 * (1 + s[0].item<double>()), "clipping differs from U min(Σ, r) Vᵀ");
        Assert.True(linalg.svdvals(clipped).max().item<double>() <= radius * (1 + 1e-12) + 1e-15);
    }

    [Theory]
    [InlineData(70, 90)]
    [InlineData(120, 65)]
    public void Large_dense_singular_values_and_clipping_equal_lapack_svd(int rows, int cols)
    {
        // Shorter sides above the Jacobi limit take LAPACK's eigensolver on the Gram matrix; the reference is the SVD.
        Assert.True(Math.Min(rows, cols) > DenseSpectrum.JacobiLimit);
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)(rows * 1000 + cols));
        var a = randn([rows, cols], dtype: float64, generator: g);
        var values = a.data<double>().ToArray();
        var expected = linalg.svdvals(a).data<double>().ToArray();
        var actual = DenseSpectrum.SingularValues(values, rows, cols);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * expected[0], $"σ{i}: {actual[i]:R} vs LAPACK {expected[i]:R}");
        double radius = 0.8 * expected[0];
        var clipped = tensor(DenseSpectrum.ClipSingularValues(values, rows, cols, radius), [rows, cols], float64);
        var (u, s, vh) = linalg.svd(a, fullMatrices: false);
        var projection = u.matmul(diag(s.Clamped(0, radius))).matmul(vh);
        Assert.True((clipped - projection).abs().max().item<double>() <= 1e-11 * expected[0], "clipping differs from U min(Σ, r) Vᵀ");
    }

    [Fact]
    public void Both_eigensolvers_agree_on_a_gram_matrix()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(29);
        var a = randn([40, 30], dtype: float64, generator: g);
        var gram = a.t().matmul(a).contiguous().data<double>().ToArray();
        var jacobi = DenseSpectrum.SymmetricEigen(gram, 30).Values.Order().ToArray();
        var lapack = DenseSpectrum.LapackEigen(gram, 30).Values.Order().ToArray();
        for (int i = 0; i < 30; i++) Assert.True(Math.Abs(jacobi[i] - lapack[i]) <= 1e-11 * lapack[^1], $"λ{i}: {jacobi[i]:R} vs {lapack[i]:R}");
        var broken = (double[])gram.Clone();
        broken[7] = double.NaN;
        Assert.All(DenseSpectrum.LapackEigen(broken, 30).Values, v => Assert.True(double.IsNaN(v)));
    }

    [Property(MaxTest = 25)]
    public void Convolution_bound_is_never_below_the_power_iteration_nor_any_ratio(int seed)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        long m = rng.Next(1, 6), c = rng.Next(1, 6), k = 2 * rng.Next(0, 3) + 1, h = rng.Next(1, 9), w = rng.Next(1, 9);
        using var g = new Generator((ulong)(uint)seed + 2);
        var kernel = randn([m, c, k, k], dtype: float64, generator: g);
        double bound = ConvolutionSpectrum.UpperBound(kernel, h, w);
        var (estimate, _) = ConvolutionSpectrum.PowerIteration(kernel, h, w);
        Assert.True(estimate <= bound, $"power iteration {estimate:R} above the bound {bound:R} ({m}×{c}×{k}×{k} on {h}×{w})");
        var x = randn([8, c, h, w], dtype: float64, generator: g);
        var y = nn.functional.conv2d(x, kernel, padding: [k / 2, k / 2]);
        var ratios = y.flatten(1).norm(1) / x.flatten(1).norm(1);
        Assert.True(ratios.max().item<double>() <= bound, $"‖Kx‖/‖x‖ = {ratios.max().item<double>():R} above the bound {bound:R}");
    }

    [Theory]
    [InlineData(3, 2, 3, 4, 4)]
    [InlineData(2, 3, 3, 5, 3)]
    [InlineData(4, 4, 5, 3, 3)]
    [InlineData(1, 1, 1, 6, 6)]
    public void Convolution_bound_covers_the_exact_norm_and_power_iteration_reaches_it(long m, long c, long k, long h, long w)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(17);
        var kernel = randn([m, c, k, k], dtype: float64, generator: g);
        // The operator as an explicit matrix: its columns are the images of the unit vectors.
        var basis = eye(c * h * w, dtype: float64).reshape(c * h * w, c, h, w);
        var matrix = nn.functional.conv2d(basis, kernel, padding: [k / 2, k / 2]).flatten(1).t();
        double exact = linalg.svdvals(matrix).max().item<double>();
        double bound = ConvolutionSpectrum.UpperBound(kernel, h, w);
        var (estimate, _) = ConvolutionSpectrum.PowerIteration(kernel, h, w, tolerance: 1e-13, maxIterations: 20000);
        Assert.True(exact <= bound, $"exact {exact:R} above the bound {bound:R}");
        Assert.True(Math.Abs(estimate - exact) <= 1e-6 * exact, $"power iteration {estimate:R} vs exact {exact:R}");
    }
}
