using RobustNode.Core.Engines;
using RobustNode.Training.Optimization;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

public sealed class OptimizerTests
{
    public OptimizerTests() => Initialise();

    private static readonly double[] Gradients = [0.5, -1.25, 2.0];

    /// <summary>Runs an optimizer on one scalar parameter (θ₀ = 1) with the gradient sequence above.</summary>
    private static double[] Trajectory(IOptimizer optimizer, double rate)
    {
        var theta = tensor(new[] { 1.0 });
        using var state = optimizer.Initialize(TorchEngine.Instance, [theta]);
        var values = new List<double>();
        foreach (var g in Gradients)
        {
            optimizer.Step<Tensor>(state, [theta], [tensor(new[] { g })], rate);
            values.Add(theta.item<double>());
        }
        Assert.Equal(Gradients.Length, state.Steps);
        return values.ToArray();
    }

    [Fact]
    public void Sgd_with_momentum_follows_the_heavy_ball_and_nesterov_recursions()
    {
        double lr = 0.1, mu = 0.9, decay = 0.01;
        foreach (bool nesterov in new[] { false, true })
        {
            double theta = 1, buffer = 0;
            var expected = new List<double>();
            for (int t = 0; t < Gradients.Length; t++)
            {
                double g = Gradients[t] + decay * theta;
                buffer = t == 0 ? g : mu * buffer + g;
                theta -= lr * (nesterov ? g + mu * buffer : buffer);
                expected.Add(theta);
            }
            var actual = Trajectory(new Sgd(lr, mu, nesterov, decay), lr);
            for (int t = 0; t < expected.Count; t++) Assert.Equal(expected[t], actual[t], 15);
        }
        Assert.Equal(1 - 0.1 * 0.5, Trajectory(new Sgd(0.1), 0.1)[0], 15);
    }

    [Fact]
    public void Adam_follows_the_bias_corrected_moment_recursion()
    {
        double lr = 0.05, b1 = 0.8, b2 = 0.95, e = 1e-6;
        double theta = 1, m = 0, v = 0;
        var expected = new List<double>();
        for (int t = 1; t <= Gradients.Length; t++)
        {
            double g = Gradients[t - 1];
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            theta -= lr * (m / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v / (1 - Math.Pow(b2, t))) + e);
            expected.Add(theta);
        }
        var actual = Trajectory(new Adam(lr, b1, b2, e), lr);
        for (int t = 0; t < expected.Count; t++) Assert.Equal(expected[t], actual[t], 14);
    }

    [Fact]
    public void Schedules_scale_the_rate_by_epoch()
    {
        Assert.Equal(1.0, ConstantRate.Instance.Factor(17));
        Assert.Equal([1.0, 1.0, 0.5, 0.5, 0.25], Enumerable.Range(0, 5).Select(new StepDecay(2, 0.5).Factor));
        var cosine = new CosineDecay(10, 0.1);
        Assert.Equal(1.0, cosine.Factor(0), 15);
        Assert.Equal(0.55, cosine.Factor(5), 15);
        Assert.Equal(0.1, cosine.Factor(10), 15);
        Assert.Equal(0.1, cosine.Factor(50), 15);
    }

    [Fact]
    public void Invalid_optimizers_and_schedules_are_error_values()
    {
        var sgd = Failure(new Sgd(-1, Momentum: 1.5, Nesterov: true).Validate());
        Assert.Contains("learningRate", sgd.Message);
        Assert.Contains("momentum", sgd.Message);
        Assert.Contains("beta2", Failure(new Adam(Beta2: 1).Validate()).Message);
        Assert.Contains("nesterov", Failure(new Sgd(0.1, Nesterov: true).Validate()).Message);
        Assert.Contains("every", Failure(new StepDecay(0).Validate()).Message);
        Assert.Contains("minimumFactor", Failure(new CosineDecay(5, 2).Validate()).Message);
    }
}
