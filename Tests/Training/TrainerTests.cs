using System.Diagnostics;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Training;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

public sealed class TrainerTests(ITestOutputHelper output)
{
    private readonly ITestOutputHelper _output = InitialiseWith(output);

    private static ITestOutputHelper InitialiseWith(ITestOutputHelper output)
    {
        Initialise();
        return output;
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("rk4")]
    public void Standard_training_separates_the_moons(string solver)
    {
        var data = Moons(400, 1);
        var config = new PointCloudModel(Dim: 3, Layers: 8) { Solver = SolverCatalog.Fixed(SolverCatalog.BuiltIn[solver]) };
        var model = Ok(config.Build(1));
        var options = new TrainingOptions(new StandardObjective(), new Adam(0.05), Epochs: 20, BatchSize: 32, Seed: 1);
        var state = Ok(Trainer.Start(model, options));
        var clock = Stopwatch.StartNew();
        var history = Ok(Trainer.Run(state, data.Train, options));
        double accuracy = Ok(Classification.Accuracy(state.Model, data.Test));
        _output.WriteLine($"{solver}: {clock.Elapsed.TotalSeconds:F2} s for {options.Epochs} epochs, test accuracy {accuracy:F3}, final loss {history.Epochs[^1].Loss:F4}");
        Assert.True(accuracy > 0.9, $"test accuracy {accuracy}");
        Assert.Equal(20, history.Epochs.Count);
        Assert.Equal(Enumerable.Range(0, 20), history.Epochs.Select(m => m.Epoch));
        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss);
        Assert.Equal(20, state.Epoch);
        Assert.All(history.Epochs, m => Assert.Equal(m.Loss, m.Objective));
    }

    [Theory]
    [InlineData("dopri5", "backsolve")]
    [InlineData("bosh3", "checkpoint")]
    [InlineData("rk4", "stored")]
    public void Any_solver_and_adjoint_trains(string solver, string adjoint)
    {
        var tableau = SolverCatalog.BuiltIn[solver];
        var config = new PointCloudModel(Dim: 3, Layers: 3)
        {
            Solver = tableau.IsAdaptive ? SolverCatalog.Adaptive(tableau, 1e-5, 1e-7) : SolverCatalog.Fixed(tableau, 2),
            Adjoint = RobustNode.Sensitivity.Adjoints.AdjointMode.ByName[adjoint],
        };
        var data = Moons(60, 2).Train;
        foreach (var objective in new ITrainingObjective[] { new StandardObjective(), new AugmentedObjective(0.1, AttackNorm.Two) })
        {
            var options = new TrainingOptions(objective, new Adam(0.02), Epochs: 2, BatchSize: 21, Seed: 1);
            var state = Ok(Trainer.Start(Ok(config.Build(2)), options));
            var history = Ok(Trainer.Run(state, data, options));
            Assert.All(history.Epochs, m => Assert.True(double.IsFinite(m.Objective) && m.Objective >= m.Loss));
        }
        Assert.Contains(adjoint, config.Describe());
    }

    public static TheoryData<string> Objectives => new() { "standard", "augmented", "adversarial" };

    private static ITrainingObjective Objective(string name) => name switch
    {
        "standard" => new StandardObjective(),
        "augmented" => new AugmentedObjective(0.1, AttackNorm.Infinity) { WarmupEpochs = 2 },
        _ => new AdversarialObjective(Pgd.Madry(0.1, AttackNorm.Infinity, steps: 3)),
    };

    [Theory]
    [MemberData(nameof(Objectives))]
    public void The_same_seed_gives_bit_identical_parameters(string objective)
    {
        var data = Moons(120, 2).Train;
        Tensor[] Train(long seed)
        {
            var options = new TrainingOptions(Objective(objective), new Sgd(0.1, 0.9, Nesterov: true), Epochs: 3, BatchSize: 16, Seed: seed);
            var state = Ok(Trainer.Start(SmallNetwork(5), options));
            Ok(Trainer.Run(state, data, options));
            return state.Parameters.ToArray();
        }
        var first = Train(3);
        Assert.True(BitIdentical(first, Train(3)));
        Assert.False(BitIdentical(first, Train(4)));
    }

    [Fact]
    public void The_model_seed_determines_the_initial_parameters()
    {
        Assert.True(BitIdentical(SmallNetwork(5).Parameters, SmallNetwork(5).Parameters));
        Assert.False(BitIdentical(SmallNetwork(5).Parameters, SmallNetwork(6).Parameters));
        var p = new PointCloudModel(Dim: 40, Layers: 50, WeightScale: 2).Build(1);
        var weights = Ok(p).Parameters[0];
        // W entries are N(0, 1/d)·scale: standard deviation 2/√40.
        Assert.InRange(weights.std().item<double>(), 0.95 * 2 / Math.Sqrt(40), 1.05 * 2 / Math.Sqrt(40));
        Assert.Equal(0, Ok(p).Parameters[1].abs().max().item<double>());
    }

    [Fact]
    public void Every_epoch_is_reported_and_cancellation_stops_at_an_epoch_boundary()
    {
        var data = Moons(80, 3).Train;
        var options = new TrainingOptions(new StandardObjective(), new Adam(0.01), Epochs: 6, BatchSize: 20, Seed: 1);
        var state = Ok(Trainer.Start(SmallNetwork(1), options));
        using var cancel = new CancellationTokenSource();
        var reported = new List<EpochMetrics>();
        var batches = new List<BatchProgress>();
        var progress = new SynchronousProgress<EpochMetrics>(m =>
        {
            reported.Add(m);
            if (m.Epoch == 1) cancel.Cancel();
        });
        var history = Ok(Trainer.Run(state, data, options, progress, cancel.Token, new SynchronousProgress<BatchProgress>(batches.Add)));
        Assert.True(history.Cancelled);
        Assert.Equal(2, state.Epoch);
        Assert.Equal([0, 1], reported.Select(m => m.Epoch));
        Assert.Equal(history.Epochs, reported);
        Assert.Equal(6, batches.Count);
        Assert.All(batches, b => Assert.Equal(3, b.Batches));
        Assert.All(reported, m => Assert.Equal(56, m.Samples));
        Assert.All(reported, m => Assert.InRange(m.TrainAccuracy, 0, 1));
        var rest = Ok(Trainer.Run(state, data, options));
        Assert.False(rest.Cancelled);
        Assert.Equal([2, 3, 4, 5], rest.Epochs.Select(m => m.Epoch));
    }

    [Fact]
    public void The_schedule_sets_each_epochs_learning_rate()
    {
        var data = Moons(40, 3).Train;
        var options = new TrainingOptions(new StandardObjective(), new Sgd(0.2), Epochs: 4, BatchSize: 40, Seed: 1) { Schedule = new StepDecay(2, 0.5) };
        var state = Ok(Trainer.Start(SmallNetwork(1), options));
        Assert.Equal([0.2, 0.2, 0.1, 0.1], Ok(Trainer.Run(state, data, options)).Epochs.Select(m => m.LearningRate));
    }

    [Fact]
    public void Training_keeps_the_number_of_live_tensors_flat()
    {
        var data = Moons(100, 4).Train;
        var options = new TrainingOptions(new AugmentedObjective(0.1, AttackNorm.Infinity), new Adam(0.01), Epochs: 12, BatchSize: 10, Seed: 1);
        var state = Ok(Trainer.Start(SmallNetwork(1), options));
        foreach (var _ in Trainer.Epochs(state, data, options with { Epochs = 2 })) { }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        foreach (var epoch in Trainer.Epochs(state, data, options)) Ok(epoch);
        Assert.Equal(12, state.Epoch);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Invalid_options_report_every_problem_before_training()
    {
        var options = new TrainingOptions(new AugmentedObjective(-0.1, AttackNorm.Two) { WarmupEpochs = -1 }, new Adam(0), Epochs: 0, BatchSize: 0);
        var error = Failure(Trainer.Start(SmallNetwork(1), options));
        foreach (var key in new[] { "training.epochs", "training.batchSize", "objective.epsilon", "objective.warmupEpochs", "optimizer.learningRate" })
            Assert.Contains(key, error.Message);
        Assert.Contains("stepSize", Failure(Trainer.Start(SmallNetwork(1),
            new TrainingOptions(new AdversarialObjective(new Pgd(0.1, AttackNorm.Infinity, 3, 0)), new Adam()))).Message);
    }

    [Fact]
    public void A_model_that_does_not_fit_the_data_is_an_error_value()
    {
        var data = Moons(40, 3).Train;
        var options = new TrainingOptions(new StandardObjective(), new Adam(), Epochs: 1);
        var threeClasses = Ok(new PointCloudModel(Dim: 3, Layers: 2, Classes: 3).Build(1));
        Assert.Contains("outputs [1, 3] for one sample, but the data set", Failure(Trainer.RunEpoch(Ok(Trainer.Start(threeClasses, options)), data, options)).Message);
        var threeInputs = Ok(new PointCloudModel(Dim: 4, Layers: 2, Inputs: 3).Build(1));
        Assert.Contains("[B, 3]", Failure(Trainer.RunEpoch(Ok(Trainer.Start(threeInputs, options)), data, options)).Message);
    }

    [Fact]
    public void Divergence_is_reported_with_its_epoch_and_batch()
    {
        var data = Moons(40, 3).Train;
        var options = new TrainingOptions(new StandardObjective(), new Sgd(1e200), Epochs: 5, BatchSize: 7, Seed: 1);
        var state = Ok(Trainer.Start(SmallNetwork(1), options));
        var error = Failure(Trainer.Run(state, data, options));
        Assert.Matches(@"epoch \d+, batch \d+", error.Message);
    }

    [Fact]
    public void The_warm_up_ramps_the_penalty_weight_linearly()
    {
        var objective = new AugmentedObjective(0.2, AttackNorm.Infinity) { WarmupEpochs = 4 };
        Assert.Equal([0.0, 0.05, 0.1, 0.15, 0.2, 0.2], Enumerable.Range(0, 6).Select(e => Math.Round(objective.WeightAt(e), 15)));
        var weighted = objective with { Weight = 1.0, WarmupEpochs = 0 };
        Assert.Equal(1.0, weighted.WeightAt(0));
        Assert.Equal(0.2, weighted.Epsilon);
    }

    [Fact]
    public void The_pgd_warm_up_ramps_the_radius_linearly_and_starts_with_standard_training()
    {
        var objective = new AdversarialObjective(Pgd.Madry(0.2, AttackNorm.Infinity, steps: 3)) { WarmupEpochs = 4 };
        Assert.Equal([0.0, 0.05, 0.1, 0.15, 0.2, 0.2], Enumerable.Range(0, 6).Select(e => Math.Round(objective.EpsilonAt(e), 15)));
        var model = SmallNetwork(2);
        var batch = Moons(30, 5).Train;
        var loss = CrossEntropyLoss.Create(batch.Labels);
        var warm = Ok(objective.Evaluate(model, batch.X, loss, new ObjectiveContext(0, 0, 0)));
        var plain = Ok(LossDerivatives.Gradient(model, batch.X, loss));
        Assert.Equal(plain.Loss, warm.Objective, 15);
        for (int i = 0; i < plain.ControlGradients.Count; i++)
            Assert.True(MaxAbsDifference(plain.ControlGradients[i], warm.Gradients[i]) < 1e-15);
        // Later epochs attack with the ramped radius: the objective is J at PGD examples of radius ε_e, above the clean J.
        var ramped = Ok(objective.Evaluate(model, batch.X, loss, new ObjectiveContext(2, 0, 9)));
        var direct = Ok(new AdversarialObjective(Pgd.Madry(0.1, AttackNorm.Infinity, steps: 3)).Evaluate(model, batch.X, loss, new ObjectiveContext(2, 0, 9)));
        Assert.Equal(direct.Objective, ramped.Objective, 15);
        Assert.True(ramped.Objective > plain.Loss);
        Assert.Contains("warmupEpochs=4", objective.Describe());
        Assert.Contains("objective.warmupEpochs", Failure(new AdversarialObjective(Pgd.Madry(0.2, AttackNorm.Infinity)) { WarmupEpochs = -1 }.Validate()).Message);
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
