using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using Xunit.Abstractions;
using static RobustNode.Tests.Training.TrainingHarness;

namespace RobustNode.Tests.Training;

/// <summary>
/// The seed talk's claim on its point-cloud example: training on the augmented loss makes the network more robust to
/// attacks of about the radius it was trained for. Fixed seeds, a small Euler network, moons with noise 0.1.
/// </summary>
public sealed class RobustTrainingTests(ITestOutputHelper output)
{
    [Fact]
    public void Augmented_training_raises_the_accuracy_under_fgsm_over_standard_training()
    {
        Initialise();
        const double trainRadius = 0.15, attackRadius = 0.2;
        double gain = 0;
        long[] seeds = [1, 2, 3];
        foreach (var seed in seeds)
        {
            var data = Moons(400, seed);
            double Robust(ITrainingObjective objective)
            {
                var model = Ok(new PointCloudModel(Dim: 4, Layers: 10).Build(seed));
                var options = new TrainingOptions(objective, new Adam(0.02), Epochs: 20, BatchSize: 32, Seed: seed);
                Ok(Trainer.Run(Ok(Trainer.Start(model, options)), data.Train, options));
                return Ok(Robustness.AccuracyUnderAttack(model, data.Test, new Fgsm(attackRadius, AttackNorm.Infinity)));
            }
            double standard = Robust(new StandardObjective());
            double augmented = Robust(new AugmentedObjective(trainRadius, AttackNorm.Infinity));
            output.WriteLine($"seed {seed}: FGSM(ε = {attackRadius}) accuracy standard {standard:F3}, augmented {augmented:F3}");
            gain += (augmented - standard) / seeds.Length;
        }
        Assert.True(gain > 0.02, $"mean gain in robust accuracy {gain:F3}");
    }
}
