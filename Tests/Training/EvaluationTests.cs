using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

public sealed class EvaluationTests
{
    private readonly DatasetSplit _data = Moons(300, 3);
    private readonly Network<Tensor> _model;

    public EvaluationTests()
    {
        Initialise();
        _model = SmallNetwork(3, new PointCloudModel(Dim: 3, Layers: 8));
        var options = new TrainingOptions(new StandardObjective(), new Adam(0.05), Epochs: 15, BatchSize: 32, Seed: 3);
        Ok(Trainer.Run(Ok(Trainer.Start(_model, options)), _data.Train, options));
    }

    [Fact]
    public void Accuracy_counts_the_argmax_of_the_logits()
    {
        var logits = Ok(Inference.Output(_model, _data.Test.X));
        double expected = logits.argmax(1).eq(_data.Test.Labels).sum().item<long>() / (double)_data.Test.Count;
        Assert.Equal(expected, Ok(Classification.Accuracy(_model, _data.Test)));
        Assert.Equal(expected, Ok(Classification.Accuracy(_model, _data.Test, chunk: 7)));
        var probabilities = Ok(Classification.Probabilities(_model, _data.Test.X, chunk: 11));
        Assert.True(MaxAbsDifference(probabilities.sum(1), ones(_data.Test.Count, dtype: ScalarType.Float64)) < 1e-14);
    }

    [Fact]
    public void Accuracy_under_attack_starts_at_the_clean_accuracy_and_pgd_is_at_least_as_strong_as_fgsm()
    {
        double[] radii = [0, 0.1, 0.2, 0.3];
        double clean = Ok(Classification.Accuracy(_model, _data.Test));
        var fgsm = Ok(Robustness.AccuracyCurve(_model, _data.Test, AttackFamily.Fgsm(AttackNorm.Infinity), radii));
        var pgd = Ok(Robustness.AccuracyCurve(_model, _data.Test, AttackFamily.Pgd(AttackNorm.Infinity, steps: 10, restarts: 3, seed: 1), radii, chunk: 50));
        Assert.Equal("fgsm-inf", fgsm.Attack);
        Assert.Equal(radii, fgsm.Points.Select(p => p.Epsilon));
        Assert.Equal(clean, fgsm.Points[0].Accuracy);
        Assert.Equal(clean, pgd.Points[0].Accuracy);
        for (int i = 1; i < radii.Length; i++)
        {
            Assert.True(pgd.Points[i].Accuracy <= fgsm.Points[i].Accuracy, $"ε = {radii[i]}: PGD {pgd.Points[i].Accuracy} > FGSM {fgsm.Points[i].Accuracy}");
            Assert.True(fgsm.Points[i].Accuracy <= fgsm.Points[i - 1].Accuracy);
        }
        Assert.True(fgsm.Points[^1].Accuracy < clean);
        var l2 = Ok(Robustness.AccuracyCurve(_model, _data.Test, AttackFamily.Pgd(AttackNorm.Two, steps: 10, relativeStepSize: 0.25, randomStart: false), [0.2]));
        Assert.True(l2.Points[0].Accuracy <= Ok(Robustness.AccuracyCurve(_model, _data.Test, AttackFamily.Fgsm(AttackNorm.Two), [0.2])).Points[0].Accuracy);
    }

    [Fact]
    public void Grid_predictions_are_the_class_probabilities_at_the_grid_points()
    {
        var grid = Ok(GridSpec.Around(_data.Train, margin: 0.5, resolution: 30)) with { Rows = 20 };
        var prediction = Ok(DecisionGrid.Evaluate(_model, grid));
        Assert.Equal(30, prediction.Xs.Length);
        Assert.Equal(20, prediction.Ys.Length);
        Assert.Equal(2, prediction.Classes);
        Assert.Equal(grid.XMin, prediction.Xs[0]);
        Assert.Equal(grid.YMax, prediction.Ys[^1], 12);
        int r = 13, c = 4;
        var point = tensor(new[] { prediction.Xs[c], prediction.Ys[r] }).view(1, 2);
        var expected = Ok(Classification.Probabilities(_model, point)).data<double>().ToArray();
        Assert.Equal(expected[1], prediction.ProbabilityOf(1)[r, c], 14);
        Assert.Equal(expected[0] > expected[1] ? 0 : 1, prediction.PredictedClass()[r, c]);
        for (int i = 0; i < 20; i++)
            for (int j = 0; j < 30; j++)
                Assert.Equal(1.0, prediction.Probabilities[i, j, 0] + prediction.Probabilities[i, j, 1], 14);
        Assert.Contains("grid.x", Failure(DecisionGrid.Evaluate(_model, new GridSpec(1, 0, 0, 1))).Message);
    }
}
