using RobustNode.Core.Engines;
using RobustNode.Core.Norms;
using RobustNode.Core.Sampling;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// Uniform samples from the q-ball of a radius, one per sample of a batch [B, …], drawn from a managed SplitMix64
/// stream and handed to the engine as values, so that every engine sees the same numbers for the same seed.
/// </summary>
internal static class BallSampling
{
    /// <summary>
    /// Rows δᵢ uniform in ‖δ‖_q ≤ r: ℓ∞ coordinatewise uniform; ℓ₂ a Gaussian direction scaled by r·u^{1/n};
    /// ℓ₁ random signs on the first n coordinates of a flat Dirichlet vector of n + 1 components (uniform on the
    /// simplex Σ|δⱼ| ≤ 1). The result is projected onto the ball, which only absorbs rounding.
    /// </summary>
    public static T Uniform<T>(IEngine<T> engine, AttackNorm norm, double radius, T like, SplitMix64 random)
    {
        var shape = engine.Shape(like);
        long rows = shape[0], n = 1;
        for (int i = 1; i < shape.Length; i++) n *= shape[i];
        var values = new double[rows * n];
        if (double.IsPositiveInfinity(norm.Q))
        {
            for (long i = 0; i < values.LongLength; i++) values[i] = (2 * random.NextDouble() - 1) * radius;
        }
        else if (norm.Q == 2)
        {
            for (long r = 0; r < rows; r++)
            {
                var row = values.AsSpan((int)(r * n), (int)n);
                double length = 0;
                for (int j = 0; j < row.Length; j++)
                {
                    row[j] = random.NextGaussian();
                    length += row[j] * row[j];
                }
                double scale = radius * Math.Pow(random.NextDouble(), 1.0 / n) / Math.Max(Math.Sqrt(length), 1e-300);
                for (int j = 0; j < row.Length; j++) row[j] *= scale;
            }
        }
        else
        {
            for (long r = 0; r < rows; r++)
            {
                var row = values.AsSpan((int)(r * n), (int)n);
                // Exponential spacings e₀ … e_n; the first n over their total are uniform on the simplex.
                double total = 0;
                for (int j = 0; j < row.Length; j++)
                {
                    row[j] = -Math.Log(1 - random.NextDouble());
                    total += row[j];
                }
                total += -Math.Log(1 - random.NextDouble());
                for (int j = 0; j < row.Length; j++) row[j] *= (random.NextDouble() < 0.5 ? -1 : 1) * radius / total;
            }
        }
        using var scope = engine.OpenScope();
        return engine.Keep(engine.Project(norm, engine.FromValues(values, like, shape), radius));
    }
}
