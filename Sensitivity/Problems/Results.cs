using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers.Integration;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Problems;

/// <summary>Assembles results from the sweeps' accumulators: means over the batch, 𝒥 = J + ε mean φ(p(0)).</summary>
internal static class Results
{
    public static AugmentedGradient Augmented(SensitivityProblem problem, AugmentedLoss augmented, Tensor xT, Tensor p0,
        ControlAccumulator first, ControlAccumulator second, SolveStatistics statistics)
    {
        double scale = 1.0 / problem.BatchSize;
        double loss = problem.Loss.PerSample(xT).mean().to(float64).item<double>();
        double penalty = augmented.Norm.DualNorm(p0).mean().to(float64).item<double>();
        var firstOrder = new LossGradient(loss, first.Scaled(scale), p0, xT, statistics);
        var grads = first.Gradients.Zip(second.Gradients, (g1, g2) => g1.add(g2, augmented.Epsilon).mul_(scale)).ToArray();
        return new AugmentedGradient(loss + augmented.Epsilon * penalty, grads, firstOrder);
    }
}
