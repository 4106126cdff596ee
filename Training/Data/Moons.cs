using RobustNode.Core.Sampling;

namespace RobustNode.Training.Data;

/// <summary>
/// Two interleaving half circles (scikit-learn's make_moons, centred): class 0 on (cos θ, sin θ), class 1 on
/// (1 − cos θ, ½ − sin θ), θ uniform in [0, π], then shifted by (−½, −¼) so the cloud is centred at the origin.
/// Spans about [−1.5, 1.5] × [−0.75, 0.75] before noise; not linearly separable.
/// </summary>
public sealed record Moons(double Noise = 0.1) : PointCloud(Noise)
{
    /// <inheritdoc/>
    public override string Kind => "moons";

    private protected override (double X, double Y) Point(int label, SplitMix64 random)
    {
        double theta = Math.PI * random.NextDouble();
        return label == 0
            ? (Math.Cos(theta) - 0.5, Math.Sin(theta) - 0.25)
            : (0.5 - Math.Cos(theta), 0.25 - Math.Sin(theta));
    }
}
