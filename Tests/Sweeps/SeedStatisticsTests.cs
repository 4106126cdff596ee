using RobustNode.Host.Sweeps;
using Xunit;

namespace RobustNode.Tests.Sweeps;

/// <summary>Mean, sample standard deviation and the Student t interval over seeds.</summary>
public class SeedStatisticsTests
{
    /// <summary>scipy.stats.t.ppf(0.975, df) for df = 1, 2, 4, 9, 29 (SciPy of Debian 12).</summary>
    [Theory]
    [InlineData(1, 12.706204736432095)]
    [InlineData(2, 4.302652729911275)]
    [InlineData(4, 2.7764451051977987)]
    [InlineData(9, 2.2621571627409915)]
    [InlineData(29, 2.045229642132703)]
    public void The_t_quantile_is_scipys(int degreesOfFreedom, double expected) =>
        Assert.Equal(expected, SeedStatistics.T975(degreesOfFreedom), 8);

    [Fact]
    public void Four_seeds_give_the_textbook_interval()
    {
        var s = SeedStatistics.Of([1, 2, 3, 4]);
        double std = Math.Sqrt(5.0 / 3);
        double half = 3.182446305284263 * std / 2;   // scipy.stats.t.ppf(0.975, 3)
        Assert.Equal(2.5, s.Mean, 12);
        Assert.Equal(std, s.Std, 12);
        Assert.Equal(2.5 - half, s.Ci95Low, 8);
        Assert.Equal(2.5 + half, s.Ci95High, 8);
        Assert.Equal([1, 2, 3, 4], s.Values);
    }

    [Fact]
    public void One_seed_has_a_mean_and_no_spread()
    {
        var s = SeedStatistics.Of([0.75]);
        Assert.Equal(0.75, s.Mean);
        Assert.True(double.IsNaN(s.Std) && double.IsNaN(s.Ci95Low) && double.IsNaN(s.Ci95High));
    }

    [Fact]
    public void Equal_values_have_a_zero_width_interval()
    {
        var p = SeedStatistics.Point(0.1, [0.5, 0.5, 0.5]);
        Assert.Equal(0.5, p.Accuracy);
        Assert.Equal(0, p.Std);
        Assert.Equal(0.5, p.Ci95Low);
        Assert.Equal(0.5, p.Ci95High);
    }

    [Fact]
    public void An_accuracy_interval_stays_within_zero_and_one()
    {
        // 1.0 nine times and 0.9 once: x̄ + t·s/√n exceeds 1, but a mean of accuracies cannot.
        var p = SeedStatistics.Point(0.1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 0.9]);
        var unclipped = SeedStatistics.Of([1, 1, 1, 1, 1, 1, 1, 1, 1, 0.9]);
        Assert.True(unclipped.Ci95High > 1);
        Assert.Equal(1, p.Ci95High);
        Assert.Equal(unclipped.Ci95Low, p.Ci95Low!.Value, 12);
        Assert.Equal(0, SeedStatistics.OfAccuracy([0, 0, 0, 0.05]).Ci95Low);
    }
}
