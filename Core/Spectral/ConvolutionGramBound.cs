using RobustNode.Core.Engines;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Core.Spectral;

/// <summary>
/// A proven upper bound of ‖K ∗ ·‖₂ on images of every size (zero padding k/2, stride 1) for a kernel K [M, C, k, k]
/// with several input channels, without a singular value decomposition per frequency: sup_ω λ_max(G(ω)) of the
/// C×C Gram matrices G(ω) = K̂(ω)ᴴK̂(ω) is bounded through the spectral radius of their entrywise moduli. Its cost is
/// C² Fourier transforms of a (2k − 1)×(2k − 1) correlation, cheap enough to run after every optimizer step.
/// TorchSharp only; every computation in float64.
/// </summary>
/// <remarks>
/// <para>As in <see cref="ConvolutionSpectrum.UpperBoundOnAnyImage"/>, ‖K ∗ ·‖₂² ≤ sup_ω σ₁(K̂(ω))² = sup_ω λ_max(G(ω)),
/// and G(ω) = Σ_s R(s) e^{−iω·s} with the channel correlations R(s)_{cd} = Σ_m Σ_t K[m, c, t + s] K[m, d, t], s in
/// [−(k − 1), k − 1]², so G is a trigonometric polynomial that one small Fourier transform samples on a G×G grid.</para>
/// <para>Three inequalities make the bound: (1) |λ| ≤ ρ(|G|) for every eigenvalue of G, |G| the entrywise modulus
/// (Perron–Frobenius; Horn &amp; Johnson, Matrix Analysis, Theorem 8.1.18); (2) off the grid, every ω lies within π/G
/// of a grid frequency ω₀ in each coordinate and |G(ω)_{cd} − G(ω₀)_{cd}| ≤ Δ_{cd} = (π/G) Σ_s |R(s)_{cd}| (|s_u| + |s_v|),
/// and ρ is monotone on non-negative matrices, so ρ(|G(ω)|) ≤ ρ(|G(ω₀)| + Δ); (3) for a non-negative matrix M and any
/// positive vector v, ρ(M) ≤ max_c (Mv)_c / v_c (Collatz–Wielandt), with v from a few power steps of M. It is exact
/// when G(ω) has rank one or is diagonal; a relative margin of 1e-10 covers rounding.</para>
/// </remarks>
internal static class ConvolutionGramBound
{
    /// <summary>Power steps that choose the Collatz–Wielandt vector (any positive vector gives a valid bound).</summary>
    public const int PowerSteps = 12;

    /// <summary>
    /// The bound of ‖K ∗ ·‖₂ on images of every size for K [M, C, k, k] with k odd, from a G×G frequency grid (see the
    /// remarks).
    /// </summary>
    public static double UpperBoundOnAnyImage(Tensor kernel, long grid = 128)
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        var (gram, delta) = GramSamples(kernel, grid);
        return ModuliBound(gram, delta);
    }

    /// <summary>
    /// A tighter bound of the same norm from the eigenvalues of the Gram matrices themselves:
    /// sup_ω λ_max(G(ω)) ≤ max over the grid of λ_max(G(ω₀)) + ρ(Δ), Δ the modulus bound's off-grid matrix; the smaller
    /// of it and <see cref="UpperBoundOnAnyImage"/> (both are proven).
    /// </summary>
    /// <remarks>
    /// Weyl's inequality, λ_max(A + E) ≤ λ_max(A) + ‖E‖₂ for Hermitian A and E, with E = G(ω) − G(ω₀), and
    /// ‖E‖₂ ≤ ‖|E|‖₂ ≤ ‖Δ‖₂ = ρ(Δ) since |E| ≤ Δ entrywise and Δ is symmetric and non-negative (R(−s) = R(s)ᵀ). The
    /// grid's Hermitian eigenvalue problems (one C×C per frequency, half the grid since G(−ω) is G(ω) conjugated) keep no
    /// entrywise slack on the grid, which the modulus bound has wherever G's phases do not align.
    /// </remarks>
    public static double EigenvalueBoundOnAnyImage(Tensor kernel, long grid = 128)
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        // LAPACK would fail on non-finite matrices inside libtorch, which cannot be caught here: no bound then.
        if (!kernel.detach().isfinite().all().item<bool>()) return double.NaN;
        var (gram, delta) = GramSamples(kernel, grid);
        double onGrid = linalg.eigvalsh(gram).max().item<double>();
        double offGrid = linalg.eigvalsh(delta).max().item<double>();
        double bound = Math.Sqrt(Math.Max(onGrid + offGrid, 0)) * (1 + ConvolutionSpectrum.RoundingMargin);
        return Math.Min(bound, ModuliBound(gram, delta));
    }

    // G(ω₀) on half of a G×G grid [F, C, C] and the off-grid matrix Δ [C, C], in float64, in the caller's scope.
    private static (Tensor Gram, Tensor Delta) GramSamples(Tensor kernel, long grid)
    {
        var k64 = kernel.detach().to(ScalarType.Float64);
        long channels = k64.shape[1], side = k64.shape[2], reach = side - 1, span = 2 * side - 1;
        var byChannel = k64.transpose(0, 1);   // [C, M, k, k]
        // conv2d correlates: R[c, d, s] = Σ_m Σ_t K[m, c, t + s] K[m, d, t], s from −(k − 1) to k − 1.
        var correlation = nn.functional.conv2d(byChannel, byChannel, padding: [reach, reach]);   // [C, C, 2k − 1, 2k − 1]
        // Shift s = 0 to index 0 so that the transform is Σ_s R(s) e^{−iω·s} (a phase would not change the moduli either).
        var placed = nn.functional.pad(correlation, [0, grid - span, 0, grid - span]).roll([-reach, -reach], [2, 3]);
        // R is real, so G(−ω) is G(ω) conjugated entrywise (same moduli, same eigenvalues): half of the grid holds them all.
        var gram = fft.rfft2(placed).permute(2, 3, 0, 1).reshape(-1, channels, channels);                      // G(ω₀)
        using var first = (-reach).ToScalar();
        using var end = (reach + 1).ToScalar();
        var offsets = arange(first, end, TorchScalars.One, dtype: ScalarType.Float64).abs();
        var l1 = offsets.unsqueeze(1).Plus(offsets.unsqueeze(0));                                              // |s_u| + |s_v|
        var delta = correlation.abs().mul(l1).sum([2L, 3L]).Times(Math.PI / grid);                             // Δ [C, C]
        return (gram, delta);
    }

    // ρ(|G(ω₀)| + Δ) over the grid by Collatz–Wielandt (see the remarks), as a bound of the norm.
    private static double ModuliBound(Tensor gram, Tensor delta)
    {
        var moduli = gram.abs();                                                                               // |G(ω₀)|
        var matrices = moduli.Plus(delta);
        var v = ones([moduli.shape[0], moduli.shape[1], 1], ScalarType.Float64);
        for (int i = 0; i < PowerSteps; i++)
        {
            v = matrices.matmul(v);
            v = v.div(v.amax([1L], keepdim: true));
        }
        // Powers of a non-negative matrix with a positive diagonal keep v positive; a zero kernel gives zero rows.
        var ratios = matrices.matmul(v).div(v.AtLeast(double.Epsilon));
        double squared = ratios.max().item<double>();
        return Math.Sqrt(Math.Max(squared, 0)) * (1 + ConvolutionSpectrum.RoundingMargin);
    }
}
