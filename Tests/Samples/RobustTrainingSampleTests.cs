using RobustNode.Samples.RobustTraining;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;

namespace RobustNode.Tests.Samples;

/// <summary>The robust-training sample (samples/RobustTraining), which uses the libraries without the host, runs briefly.</summary>
public sealed class RobustTrainingSampleTests
{
    public RobustTrainingSampleTests() => Initialise();

    [Theory]
    [InlineData("gradalign")]
    [InlineData("llr")]
    public void The_sample_trains_standard_and_a_robust_objective_and_scores_both(string objective)
    {
        var epochs = new List<int>();
        var scores = Ok(RobustTrainingSample.Run(new SampleSettings(Points: 120, Epochs: 2, Objective: objective),
            new SynchronousProgress(m => epochs.Add(m.Epoch))));
        Assert.Equal(["standard", objective], scores.Select(s => s.Trainer));
        Assert.StartsWith(objective + "(epsilon=0.15", scores[1].Objective);
        Assert.All(scores, s =>
        {
            Assert.InRange(s.Clean, 0, 1);
            Assert.InRange(s.Pgd, 0, s.Fgsm + 1e-12);
            Assert.True(s.SecondsPerEpoch > 0);
        });
        Assert.Equal([0, 1, 0, 1], epochs);
    }

    [Fact]
    public void An_unknown_objective_is_an_error_value_naming_the_known_ones()
    {
        var error = Failure(RobustTrainingSample.Run(new SampleSettings(Points: 50, Epochs: 1, Objective: "madry")));
        Assert.Contains("unknown objective 'madry'; known: gradalign, llr", error.Message);
    }

    private sealed class SynchronousProgress(Action<RobustNode.Training.Trainers.EpochMetrics> report) : IProgress<RobustNode.Training.Trainers.EpochMetrics>
    {
        public void Report(RobustNode.Training.Trainers.EpochMetrics value) => report(value);
    }
}
