using LanguageExt.Common;
using RobustNode.Core.Sampling;

namespace RobustNode.Training.Data;

/// <summary>
/// Two interleaved Archimedean spirals: with t uniform in [0, 1], radius r = 0.15 + 0.85 t and angle
/// 2π · <see cref="Turns"/> · t, class 1 being class 0 turned by π. Inside the unit disc; more turns make the
/// classes harder to separate.
/// </summary>
/// <param name="Noise">Standard deviation of the Gaussian noise in each coordinate.</param>
/// <param name="Turns">Number of revolutions of each arm (&gt; 0).</param>
public sealed record Spirals(double Noise = 0.05, double Turns = 1.5) : PointCloud(Noise)
{
    /// <inheritdoc/>
    public override string Kind => "spirals";

    /// <inheritdoc/>
    protected override string Parameters => FormattableString.Invariant($"turns={Turns:G6}");

    /// <inheritdoc/>
    protected override IEnumerable<Error> Problems()
    {
        if (!(Turns > 0) || !double.IsFinite(Turns)) yield return TrainingErrors.InvalidConfiguration("turns", $"must be positive and finite, got {Turns}");
    }

    private protected override (double X, double Y) Point(int label, SplitMix64 random)
    {
        double t = random.NextDouble();
        double r = 0.15 + 0.85 * t, angle = 2 * Math.PI * Turns * t + Math.PI * label;
        return (r * Math.Cos(angle), r * Math.Sin(angle));
    }
}
