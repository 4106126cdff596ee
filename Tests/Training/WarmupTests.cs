using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>
/// Warm-ups of a radius over K epochs: the linear ramp v e / K from 0, and GloRo's logarithmic schedule
/// log(e^{v₀} + (e^{v} − e^{v₀}) e / K) from v₀ = 0.01 v, which rises fast at first and ever slower; both reach v at
/// epoch K and keep it; the margin trainers train at the radius of their schedule.
/// </summary>
public sealed class WarmupTests
{
    [Theory]
    [InlineData(0.1, 10)]
    [InlineData(1.0, 4)]
    [InlineData(1.74, 15)]
    [InlineData(20.0, 50)]
    public void The_logarithmic_schedule_is_gloros_formula_rising_ever_slower_from_a_hundredth_to_the_radius(double v, int k)
    {
        double v0 = Warmup.LogarithmicStart * v;
        var ramp = Enumerable.Range(0, k + 3).Select(e => Warmup.Ramp(v, e, k, WarmupShape.Logarithmic)).ToArray();
        for (int e = 0; e < k; e++)
        {
            double gloro = Math.Log(Math.Exp(v0) + (Math.Exp(v) - Math.Exp(v0)) * e / k);
            Assert.True(Math.Abs(ramp[e] - gloro) <= 1e-13 * v, $"epoch {e}: {ramp[e]} against {gloro}");
        }
        Assert.Equal(v0, ramp[0], 1e-15 * v);
        Assert.All(ramp.Skip(k), r => Assert.Equal(v, r));
        for (int e = 1; e <= k; e++) Assert.True(ramp[e] > ramp[e - 1], $"epoch {e}: the radius must grow");
        for (int e = 1; e < k; e++) Assert.True(ramp[e + 1] - ramp[e] <= ramp[e] - ramp[e - 1] + 1e-14 * v, $"epoch {e}: the rise must slow down");
        // Above the linear ramp all the way: the schedule reaches large radii early.
        for (int e = 0; e < k; e++) Assert.True(ramp[e] >= Warmup.Ramp(v, e, k), $"epoch {e}");
    }

    [Fact]
    public void The_schedules_are_finite_at_any_radius_and_none_without_warm_up_epochs()
    {
        var large = Enumerable.Range(0, 11).Select(e => Warmup.Ramp(1000, e, 10, WarmupShape.Logarithmic)).ToArray();
        Assert.All(large, r => Assert.True(double.IsFinite(r)));
        Assert.Equal(10, large[0], 1e-12);
        Assert.Equal(1000, large[10]);
        Assert.Equal(0.3, Warmup.Ramp(1.2, 1, 4), 1e-15);
        Assert.Equal(0, Warmup.Ramp(0, 3, 10, WarmupShape.Logarithmic));
        foreach (var shape in new[] { WarmupShape.Linear, WarmupShape.Logarithmic })
            Assert.Equal(1.58, Warmup.Ramp(1.58, 0, 0, shape));
    }

    [Fact]
    public void A_margin_trainer_trains_at_the_radius_of_its_schedule()
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var network = new Network<Tensor>([
            LinearBlock.Create(randn([6, 5], dtype: float64, generator: g), randn([6], dtype: float64, generator: g)),
            LinearBlock.Create(randn([4, 6], dtype: float64, generator: g), randn([4], dtype: float64, generator: g))]);
        var x = randn([7, 5], dtype: float64, generator: g);
        var labels = randint(0, 4, [7], dtype: int64, generator: g);
        var scheduled = new LipschitzMarginObjective(1.74) { BottomClass = true, TradesWeight = 1.5, WarmupEpochs = 10, WarmupShape = WarmupShape.Logarithmic };
        var context = new ObjectiveContext(3, 0, 1);
        var atRadius = scheduled with { Epsilon = Warmup.Ramp(1.74, 3, 10, WarmupShape.Logarithmic), WarmupEpochs = 0 };
        var a = Ok(scheduled.Evaluate(network, x, CrossEntropyLoss.Create(labels), context));
        var b = Ok(atRadius.Evaluate(network, x, CrossEntropyLoss.Create(labels), context));
        Assert.Equal(b.Objective, a.Objective);
        Assert.True(BitIdentical(a.Gradients, b.Gradients));
        var linear = Ok((scheduled with { WarmupShape = WarmupShape.Linear }).Evaluate(network, x, CrossEntropyLoss.Create(labels), context));
        Assert.NotEqual(linear.Objective, a.Objective);
    }
}
