using LanguageExt.Common;
using RobustNode.Core.Sampling;

namespace RobustNode.Training.Data;

/// <summary>
/// Two concentric circles (scikit-learn's make_circles): class 0 on the unit circle, class 1 on the circle of radius
/// <see cref="Factor"/>, angles uniform. Separable only by a nonlinear boundary; a flow in the plane cannot untangle it
/// without extra dimensions (hence the zero-padding block, Dupont et al. 2019).
/// </summary>
/// <param name="Noise">Standard deviation of the Gaussian noise in each coordinate.</param>
/// <param name="Factor">Radius of the inner circle, in (0, 1).</param>
public sealed record Circles(double Noise = 0.05, double Factor = 0.5) : PointCloud(Noise)
{
    /// <inheritdoc/>
    public override string Kind => "circles";

    /// <inheritdoc/>
    protected override string Parameters => FormattableString.Invariant($"factor={Factor:G6}");

    /// <inheritdoc/>
    protected override IEnumerable<Error> Problems()
    {
        if (!(Factor > 0 && Factor < 1)) yield return TrainingErrors.InvalidConfiguration("factor", $"the inner radius must lie in (0, 1), got {Factor}");
    }

    private protected override (double X, double Y) Point(int label, SplitMix64 random)
    {
        double theta = 2 * Math.PI * random.NextDouble(), r = label == 0 ? 1.0 : Factor;
        return (r * Math.Cos(theta), r * Math.Sin(theta));
    }
}
