using RobustNode.Core.Errors;
using RobustNode.Training;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using RobustNode.Solvers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;

namespace RobustNode.Tests.Training;

/// <summary>
/// Training that diverges without reaching NaN is a failure: SGD at a learning rate of 10⁶ takes the moons'
/// cross-entropy from about 0.7 to astronomically large values, which the divergence rule stops within the epoch.
/// </summary>
public sealed class DivergenceRuleTests
{
    [Fact]
    public void An_objective_growing_by_six_orders_of_magnitude_within_an_epoch_is_divergence()
    {
        var rule = DivergenceRule.Default;
        Assert.True(rule.Check("standard", 0.7, 0.9).IsNone);
        Assert.True(rule.Check("standard", 0.7, 9e5).IsNone);
        var error = rule.Check("standard", 0.7, 3.9e123).Match(e => e, () => throw new Xunit.Sdk.XunitException("no divergence"));
        Assert.Equal(ErrorCodes.TrainingDiverged, error.Code);
        Assert.Contains("grew from 0.7000 at the epoch's first batch to 3.9e+123", error.Message);
        Assert.True(rule.Check("standard", 0.7, double.NaN).IsSome);
        // A loss close to 0 may rise again: the reference counts as at least the floor.
        Assert.True(rule.Check("standard", 1e-9, 10).IsNone);
        Assert.True(new DivergenceRule(Growth: 10).Check("standard", 1, 11).IsSome);
        Assert.True(new DivergenceRule(Growth: 1).Validate().IsFail);
    }

    [Fact]
    public void Large_and_small_losses_print_in_scientific_notation()
    {
        Assert.Equal("3.9e+123", DivergenceRule.Format(3.9e123));
        Assert.Equal("3.159e+6", DivergenceRule.Format(3_159_000));
        Assert.Equal("0.6931", DivergenceRule.Format(0.693147));
        Assert.Equal("1.5e-7", DivergenceRule.Format(1.5e-7));
        Assert.Equal("0.0000", DivergenceRule.Format(0));
    }

    [Fact]
    public void Sgd_at_a_learning_rate_of_a_million_fails_as_diverged_instead_of_finishing()
    {
        var data = Moons(200, 1);
        var model = Ok(new PointCloudModel(Dim: 3, Layers: 3) { Solver = SolverCatalog.Fixed(SolverCatalog.BuiltIn["rk4"]) }.Build(1));
        var options = new TrainingOptions(new StandardObjective(), new Sgd(1e6), Epochs: 3, BatchSize: 16, Seed: 1);
        var state = Ok(Trainer.Start(model, options));

        var error = Failure(Trainer.Run(state, data.Train, options));

        Assert.Equal(TrainingErrors.DivergedCode, error.Code);
        Assert.Contains("epoch 0, batch ", error.Message);
        Assert.Equal(0, state.Epoch);
    }
}
