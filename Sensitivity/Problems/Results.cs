using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers.Integration;

namespace RobustNode.Sensitivity.Problems;

/// <summary>Assembles results from the sweeps' accumulators: means over the batch, 𝒥 = J + ε mean φ(p(0)).</summary>
internal static class Results
{
    /// <summary>J = mean ℓᵢ with ∇_u J = (1/B) Σ (the first-order sums of a sweep).</summary>
    public static LossGradient<T> FirstOrder<T>(IEngine<T> engine, ILoss<T> loss, T xT, T p0, IReadOnlyList<T> sums, SolveStatistics statistics)
    {
        return new LossGradient<T>(engine.Mean(loss.PerSample(xT)), Means(engine, xT, sums), p0, xT, statistics);
    }

    // (1/B) Σ: batch sums to means.
    private static T[] Means<T>(IEngine<T> engine, T xT, IReadOnlyList<T> sums)
    {
        double scale = 1.0 / engine.BatchSize(xT);
        var means = new T[sums.Count];
        for (int j = 0; j < means.Length; j++) means[j] = engine.Scale(sums[j], scale);
        return means;
    }

    /// <summary>
    /// 𝒥 and ∇_u 𝒥 = (1/B) Σ from the sums Σ∇_u ℓᵢ + ε ∇_u Σᵢ⟨vᵢ, pᵢ(0)⟩ formed as one (the combined sweep of
    /// <see cref="Networks.LossDerivatives.AugmentedControlGradient{T}"/>); the first-order part has no control gradients.
    /// </summary>
    public static AugmentedGradient<T> AugmentedFromTotal<T>(IEngine<T> engine, ILoss<T> loss, AugmentedLoss augmented, T xT, T p0,
        IReadOnlyList<T> total, SolveStatistics statistics)
    {
        var firstOrder = FirstOrder(engine, loss, xT, p0, [], statistics);
        double penalty = engine.Mean(engine.DualNorm(augmented.Norm, p0));
        return new AugmentedGradient<T>(firstOrder.Loss + augmented.Epsilon * penalty, Means(engine, xT, total), firstOrder);
    }

    public static AugmentedGradient<T> Augmented<T>(IEngine<T> engine, ILoss<T> loss, AugmentedLoss augmented, T xT, T p0,
        IReadOnlyList<T> first, IReadOnlyList<T> second, SolveStatistics statistics)
    {
        double scale = 1.0 / engine.BatchSize(xT);
        var firstOrder = FirstOrder(engine, loss, xT, p0, first, statistics);
        double penalty = engine.Mean(engine.DualNorm(augmented.Norm, p0));
        var grads = new T[first.Count];
        for (int j = 0; j < grads.Length; j++)
        {
            grads[j] = engine.Add(first[j], second[j], augmented.Epsilon);
            engine.ScaleInPlace(grads[j], scale);
        }
        return new AugmentedGradient<T>(firstOrder.Loss + augmented.Epsilon * penalty, grads, firstOrder);
    }
}
