using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;

namespace RobustNode.Tests.Training;

/// <summary>The augmented trainer's gradient is the combined second-order adjoint's, which is double backpropagation's.</summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class AugmentedTrainingTests
{
    public AugmentedTrainingTests() => Initialise();

    public static TheoryData<string, string> Cases => new()
    {
        { "euler", "inf" }, { "euler", "2" }, { "euler", "1" }, { "rk4", "inf" }, { "midpoint", "2" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Augmented_objective_gradient_equals_the_second_order_adjoint_and_double_backprop(string solver, string q)
    {
        var norm = AttackNorm.Parse(q)!;
        var config = new PointCloudModel(Dim: 3, Layers: 4, FinalTime: 1.5, BiasScale: 0.3) { Solver = SolverCatalog.Fixed(SolverCatalog.BuiltIn[solver]) };
        var model = Ok(config.Build(17));
        var batch = Moons(24, 6).Train;
        var loss = CrossEntropyLoss.Create(batch.Labels);
        var objective = new AugmentedObjective(0.1, norm) { Weight = 0.35, WarmupEpochs = 3 };
        var context = new ObjectiveContext(Epoch: 5, Batch: 0, Seed: 1);

        var fromTrainer = Ok(objective.Evaluate(model, batch.X, loss, context));
        // A training step takes ∇J + w∇Ψ from one combined second-order sweep (LossDerivatives.AugmentedControlGradient).
        var fromAdjoint = Ok(LossDerivatives.AugmentedControlGradient(model, batch.X, loss, new AugmentedLoss(0.35, norm)));
        var (value, reference) = AugmentedByDoubleBackprop(model, batch.X, batch.Labels, 0.35, norm);

        Assert.Equal(fromAdjoint.AugmentedLoss, fromTrainer.Objective);
        Assert.Equal(fromAdjoint.FirstOrder.Loss, fromTrainer.Loss);
        Assert.Equal(value, fromTrainer.Objective, 13);
        Assert.Equal(4, fromTrainer.Gradients.Count);
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.True(BitIdentical(fromAdjoint.AugmentedControlGradients[i], fromTrainer.Gradients[i]));
            double scale = Math.Max(1, reference[i].abs().max().item<double>());
            Assert.True(MaxAbsDifference(fromTrainer.Gradients[i], reference[i]) < 1e-12 * scale,
                $"parameter {i}: adjoint and double backprop differ by {MaxAbsDifference(fromTrainer.Gradients[i], reference[i]):G3}");
        }
    }

    [Fact]
    public void One_trainer_step_moves_the_parameters_against_the_double_backprop_gradient()
    {
        const double rate = 0.5, weight = 0.2;
        var model = SmallNetwork(3, new PointCloudModel(Dim: 3, Layers: 4) { Solver = SolverCatalog.Fixed(SolverCatalog.BuiltIn["rk4"]) });
        var batch = Moons(30, 8).Train;
        var before = model.Parameters.Select(p => p.clone()).ToArray();
        var (_, gradient) = AugmentedByDoubleBackprop(model, batch.X, batch.Labels, weight, AttackNorm.Infinity);
        var options = new TrainingOptions(new AugmentedObjective(weight, AttackNorm.Infinity), new Sgd(rate), Epochs: 1, BatchSize: batch.Count, Seed: 4);
        var state = Ok(Trainer.Start(model, options));
        var metrics = Ok(Trainer.RunEpoch(state, batch, options));
        Assert.Equal(1, metrics.Batches);
        for (int i = 0; i < before.Length; i++)
            Assert.True(MaxAbsDifference(state.Parameters[i], before[i] - rate * gradient[i]) < 1e-12);
    }

    [Fact]
    public void During_warm_up_the_first_epoch_trains_on_the_plain_loss()
    {
        var model = SmallNetwork(3);
        var batch = Moons(30, 8).Train;
        var loss = CrossEntropyLoss.Create(batch.Labels);
        var warm = Ok(new AugmentedObjective(0.3, AttackNorm.Two) { WarmupEpochs = 2 }.Evaluate(model, batch.X, loss, new ObjectiveContext(0, 0, 0)));
        var plain = Ok(LossDerivatives.Gradient(model, batch.X, loss));
        Assert.Equal(plain.Loss, warm.Objective, 15);
        for (int i = 0; i < plain.ControlGradients.Count; i++)
            Assert.True(MaxAbsDifference(plain.ControlGradients[i], warm.Gradients[i]) < 1e-15);
    }
}
