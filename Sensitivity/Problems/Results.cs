using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers.Integration;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Problems;

/// <summary>Assembles results from the sweeps' accumulators: means over the batch, 𝒥 = J + ε mean φ(p(0)).</summary>
internal static class Results
{
    public static AugmentedGradient Augmented(long batch, ILoss lossFunction, AugmentedLoss augmented, Tensor xT, Tensor p0,
        IReadOnlyList<Tensor> first, IReadOnlyList<Tensor> second, SolveStatistics statistics)
    {
        double scale = 1.0 / batch;
        double loss = lossFunction.PerSample(xT).mean().to(float64).item<double>();
        double penalty = augmented.Norm.DualNorm(p0).mean().to(float64).item<double>();
        var firstOrder = new LossGradient(loss, first.Select(g => g.mul(scale)).ToArray(), p0, xT, statistics);
        var grads = first.Zip(second, (g1, g2) => g1.add(g2, augmented.Epsilon).mul_(scale)).ToArray();
        return new AugmentedGradient(loss + augmented.Epsilon * penalty, grads, firstOrder);
    }
}
