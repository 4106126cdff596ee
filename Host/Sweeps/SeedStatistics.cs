using MathNet.Numerics.Distributions;
using RobustNode.Host.Schemas;

namespace RobustNode.Host.Sweeps;

/// <summary>
/// A quantity measured once per seed, summarised: mean x̄, sample standard deviation s (n − 1 in the denominator) and
/// the 95 % confidence interval of the mean x̄ ± t₀.₉₇₅,ₙ₋₁ · s/√n (Student's t with n − 1 degrees of freedom, the
/// seeds taken as independent draws), clipped to the range of the quantity (an accuracy's to [0, 1]: the mean of values
/// in a range lies in it). With one seed s and the interval are undefined (NaN, written as null).
/// </summary>
internal static class SeedStatistics
{
    /// <summary>How the intervals are computed, for reports.</summary>
    public const string Interval = "mean ± sample standard deviation (n − 1) over seeds; 95 % interval of the mean x̄ ± t(0.975, n − 1)·s/√n (Student t, n − 1 degrees of freedom), clipped to the range of the quantity ([0, 1] for accuracies, ≥ 0 for times)";

    /// <summary>The 0.975 quantile of Student's t with <paramref name="degreesOfFreedom"/> degrees of freedom.</summary>
    public static double T975(int degreesOfFreedom) => StudentT.InvCDF(0, 1, degreesOfFreedom, 0.975);

    /// <summary>The summary of one accuracy (in [0, 1]) per seed.</summary>
    public static StatisticJson OfAccuracy(IReadOnlyList<double> values) => Of(values, 0, 1);

    /// <summary>The summary of one value per seed, the interval clipped to the quantity's range [<paramref name="lower"/>, <paramref name="upper"/>].</summary>
    public static StatisticJson Of(IReadOnlyList<double> values, double lower = double.NegativeInfinity, double upper = double.PositiveInfinity)
    {
        int n = values.Count;
        if (n == 0) return new StatisticJson(double.NaN, double.NaN, double.NaN, double.NaN, values);
        double mean = values.Average();
        if (n == 1) return new StatisticJson(mean, double.NaN, double.NaN, double.NaN, values);
        double std = Math.Sqrt(values.Sum(x => (x - mean) * (x - mean)) / (n - 1));
        double half = T975(n - 1) * std / Math.Sqrt(n);
        return new StatisticJson(mean, std, Math.Max(lower, mean - half), Math.Min(upper, mean + half), values);
    }

    /// <summary>A curve point over seeds: accuracy (the mean), mean, std and the interval.</summary>
    public static CurvePointJson Point(double epsilon, IReadOnlyList<double> values)
    {
        var s = OfAccuracy(values);
        return new CurvePointJson(epsilon, s.Mean, s.Mean, s.Std, s.Ci95Low, s.Ci95High);
    }
}
