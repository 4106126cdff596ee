using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Training.Data;
using static TorchSharp.torch;

namespace RobustNode.Training.Evaluation;

/// <summary>
/// A radius that covers the data: the q-norm diameter of the input box — or, without one, of the test data's bounding box —
/// whose per-feature widths are wⱼ: max wⱼ for ℓ∞, √Σ wⱼ² for ℓ₂, Σ wⱼ for ℓ₁. Inside a ball of that radius every point
/// of the box (every test point) can be moved onto every other, so a classifier that predicts more than one class there
/// has an adversarial example for every sample.
/// </summary>
internal static class CoveringRadius
{
    /// <summary>The diameter, in the units of the data and the box.</summary>
    public static double Of(AttackNorm norm, Dataset data, InputBox? box)
    {
        double[] widths;
        if (box is not null) widths = Enumerable.Repeat(box.Max - box.Min, data.Features).ToArray();
        else
        {
            using var scope = NewDisposeScope();
            var rows = data.X.flatten(1).to(ScalarType.Float64);
            widths = (rows.amax([0]) - rows.amin([0])).cpu().data<double>().ToArray();
        }
        return double.IsPositiveInfinity(norm.Q) ? widths.Max()
            : norm.Q == 2 ? Math.Sqrt(widths.Sum(w => w * w))
            : widths.Sum();
    }
}
