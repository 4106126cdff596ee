namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>The slope of log(error) against log(h) by least squares: the observed order of convergence.</summary>
public static class ObservedOrder
{
    public static double Slope(IReadOnlyList<double> stepSizes, IReadOnlyList<double> errors)
    {
        var x = stepSizes.Select(h => Math.Log(h)).ToArray();
        var y = errors.Select(e => Math.Log(e)).ToArray();
        double mx = x.Average(), my = y.Average();
        double sxy = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum();
        double sxx = x.Sum(a => (a - mx) * (a - mx));
        return sxy / sxx;
    }
}
