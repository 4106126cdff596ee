using RobustNode.Core.Norms;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>Uniform samples from the q-ball of a radius, one per sample of a batch [B, …], from a seeded generator.</summary>
internal static class BallSampling
{
    /// <summary>
    /// Rows δᵢ uniform in ‖δ‖_q ≤ r: ℓ∞ coordinatewise uniform; ℓ₂ a Gaussian direction scaled by r·u^{1/n};
    /// ℓ₁ random signs on the first n coordinates of a flat Dirichlet vector of n + 1 components (uniform on the
    /// simplex Σ|δⱼ| ≤ 1).
    /// </summary>
    public static Tensor Uniform(AttackNorm norm, double radius, long[] shape, ScalarType dtype, Generator generator)
    {
        using var scope = NewDisposeScope();
        long rows = shape[0], n = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        Tensor delta;
        if (double.IsPositiveInfinity(norm.Q))
            delta = (rand([rows, n], dtype: dtype, generator: generator) * 2 - 1) * radius;
        else if (norm.Q == 2)
        {
            var g = randn([rows, n], dtype: dtype, generator: generator);
            var direction = g / g.square().sum(1, keepdim: true).sqrt().clamp_min(1e-300);
            var u = rand([rows, 1], dtype: dtype, generator: generator);
            delta = direction * (u.pow(1.0 / n) * radius);
        }
        else
        {
            var e = (1 - rand([rows, n + 1], dtype: dtype, generator: generator)).log().neg();
            var w = e.narrow(1, 0, n) / e.sum(1, keepdim: true);
            var signs = rand([rows, n], dtype: dtype, generator: generator).lt(0.5).to(dtype) * 2 - 1;
            delta = w * signs * radius;
        }
        return norm.Project(delta, radius).view(shape).MoveToOuterDisposeScope();
    }
}
