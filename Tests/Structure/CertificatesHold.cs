using RobustNode.Core.Engines;
using FsCheck.Xunit;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Tests.Training;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// Certificates of a trained non-expansive network (zero padding, ten contractive gradient-flow Euler steps, read-out) on
/// moons: its body stays non-expansive after training; its stated Lipschitz bound is never below the ratio of random
/// pairs nor of points and their PGD examples; PGD-ℓ2 with random restarts at 0.99× each certified radius never changes a
/// certified prediction; and certified accuracy never exceeds PGD accuracy at any radius, in ℓ2 and ℓ∞.
/// </summary>
public sealed class CertificatesHold
{
    private sealed record Trained(Network<Tensor> Model, DatasetSplit Data);

    private static readonly Lazy<Trained> Model = new(() =>
    {
        TrainingHarness.Initialise();
        var data = TrainingHarness.Moons(400, seed: 5, noise: 0.15);
        var config = new PointCloudModel(Dim: 4, Layers: 10, FinalTime: 1) { GradientFlow = GradientFlowLayers.NonExpansive(Activation.Relu, rows: 12) };
        var network = TrainingHarness.Ok(config.Build(seed: 2));
        var options = new TrainingOptions(new StandardObjective(), new Adam(0.02), Epochs: 6, BatchSize: 32, Seed: 3);
        var state = TrainingHarness.Ok(Trainer.Start<Tensor>(network, options));
        TrainingHarness.Ok(Trainer.Run(state, data.Train, options));
        return new Trained((Network<Tensor>)state.Model, data);
    });

    [Fact]
    public void Training_keeps_the_step_rule_and_the_trained_network_learns()
    {
        var trained = Model.Value;
        var rules = TrainingHarness.Ok(StepConstraints.Check(trained.Model));
        Assert.Equal(10, rules.Count);
        Assert.All(rules, r => Assert.True(r.Holds, $"layer {r.Layer}: h·L = {r.Value:R} > {r.Budget}"));
        Assert.True(TrainingHarness.Ok(Classification.Accuracy(trained.Model, trained.Data.Test)) > 0.85);
        var bound = TrainingHarness.Ok(LipschitzBounds.Of(trained.Model, [1, 2]));
        Assert.Equal(1.0, bound.Factors.Single(f => f.Block == "ode").Bound, 12);
    }

    [Property(MaxTest = 20)]
    public void The_trained_body_is_non_expansive_and_the_network_within_its_bound(int seed)
    {
        var trained = Model.Value;   // built outside the test's scope: the model lives for every test
        using var scope = NewDisposeScope();
        var body = new Network<Tensor>([.. trained.Model.Blocks.Take(2)]);
        using var g = new Generator((ulong)(uint)seed);
        var x = randn([128, 2], dtype: float64, generator: g).Times(1.5);
        var y = x.Plus(randn([128, 2], dtype: float64, generator: g) * rand([128, 1], dtype: float64, generator: g).pow(TorchScalars.Two).Plus(0.001));
        double Ratio(IBlock<Tensor> block) =>
            ((TrainingHarness.Ok(Inference.Output(block, x)) - TrainingHarness.Ok(Inference.Output(block, y))).norm(1) / (x - y).norm(1)).max().item<double>();
        Assert.True(Ratio(body) <= 1 + 1e-10, $"the body expanded a pair by {Ratio(body):R}");
        double bound = TrainingHarness.Ok(LipschitzBounds.Of(trained.Model, [1, 2])).Value;
        Assert.True(Ratio(trained.Model) <= bound * (1 + 1e-10), $"ratio {Ratio(trained.Model):R} above the bound {bound:R}");
    }

    [Theory]
    [InlineData("2", 0.3)]
    [InlineData("inf", 0.2)]
    public void The_bound_is_never_below_the_ratio_along_pgd_directions(string q, double epsilon)
    {
        var trained = Model.Value;   // built outside the test's scope: the model lives for every test
        using var scope = NewDisposeScope();
        var test = trained.Data.Test;
        var attack = new Pgd(epsilon, AttackNorm.Parse(q)!, 20, 2.5 * epsilon / 20, true, 3, 11);
        var adversarial = TrainingHarness.Ok(attack.Perturb(trained.Model, test.X, CrossEntropyLoss.Create(test.Labels)));
        var difference = TrainingHarness.Ok(Inference.Output(trained.Model, adversarial)) - TrainingHarness.Ok(Inference.Output(trained.Model, test.X));
        var moved = (adversarial - test.X).norm(1);
        var ratio = (difference.norm(1) / moved.AtLeast(1e-300)).masked_fill(moved.EqualTo(0), TorchScalars.Zero);
        double bound = TrainingHarness.Ok(LipschitzBounds.Of(trained.Model, [1, 2])).Value;
        Assert.True(ratio.max().item<double>() <= bound * (1 + 1e-10), $"ratio {ratio.max().item<double>():R} above the bound {bound:R}");
    }

    [Fact]
    public void No_certified_point_is_broken_by_pgd_at_its_radius()
    {
        var trained = Model.Value;   // built outside the test's scope: the model lives for every test
        using var scope = NewDisposeScope();
        AssertNoCertifiedPointIsBroken(trained.Model, trained.Data.Test, trained.Data.Test.Count / 2);
    }

    [Fact]
    public void A_wide_network_trained_with_tracked_projections_keeps_its_rules_and_its_certificates()
    {
        // Layers of 80 rows on d = 100 (wider than the Jacobi limit): the trainer rescales them by power-iteration
        // estimates at every step and clips them exactly at every epoch's end.
        using var scope = NewDisposeScope();
        var (model, test) = TrainWideNetwork(GradientFlowLayers.NonExpansive(Activation.Relu, rows: 80));
        var rules = TrainingHarness.Ok(StepConstraints.Check(model));
        Assert.All(rules, r => Assert.True(r.Holds, $"layer {r.Layer}: h·L = {r.Value:R} > {r.Budget}"));
        Assert.True(TrainingHarness.Ok(Classification.Accuracy(model, test)) > 0.8);
        AssertNoCertifiedPointIsBroken(model, test, 20);
    }

    /// <summary>
    /// A network of three gradient-flow layers of the given kind on d = 100, trained for 3 epochs (Adam 0.01) on three
    /// Gaussian blobs (400 training points); returns it with 200 test points.
    /// </summary>
    internal static (IBlock<Tensor> Model, Dataset Test) TrainWideNetwork(GradientFlowLayers layers)
    {
        using var g = new Generator(9);
        var centres = randn([3, 100], dtype: float64, generator: g).Times(0.3);
        var labels = randint(0, 3, [600], dtype: int64, generator: g);
        var x = centres.index_select(0, labels).Plus(randn([600, 100], dtype: float64, generator: g));
        var train = TrainingHarness.Ok(Dataset.Create(x.narrow(0, 0, 400), labels.narrow(0, 0, 400), 3, "blobs/train"));
        var test = TrainingHarness.Ok(Dataset.Create(x.narrow(0, 400, 200), labels.narrow(0, 400, 200), 3, "blobs/test"));
        var config = new PointCloudModel(Dim: 100, Layers: 3, FinalTime: 1, Classes: 3, Inputs: 100) { GradientFlow = layers };
        var options = new TrainingOptions(new StandardObjective(), new Adam(0.01), Epochs: 3, BatchSize: 50, Seed: 5);
        var state = TrainingHarness.Ok(Trainer.Start<Tensor>(TrainingHarness.Ok(config.Build(seed: 4)), options));
        TrainingHarness.Ok(Trainer.Run(state, train, options));
        return (state.Model, test);
    }

    /// <summary>
    /// Attacks every certified point of the data set with PGD-ℓ2 (25 steps, 5 random restarts) inside 0.99× its own
    /// certified radius and asserts that no prediction changes; at least <paramref name="minimumCertified"/> points must be certified.
    /// </summary>
    internal static void AssertNoCertifiedPointIsBroken(IBlock<Tensor> model, Dataset test, int minimumCertified)
    {
        var certificates = TrainingHarness.Ok(Certification.Certify(model, test, AttackNorm.Two));
        var certified = certificates.Samples.Select((s, i) => (s, i)).Where(c => c.s.Correct && c.s.Radius > 0).ToArray();
        Assert.True(certified.Length >= Math.Max(1, minimumCertified), $"only {certified.Length} of {test.Count} test points are certified");
        var index = tensor(certified.Select(c => (long)c.i).ToArray());
        var x = test.X.index_select(0, index);
        var labels = test.Labels.index_select(0, index);
        var radii = tensor(certified.Select(c => 0.99 * c.s.Radius).ToArray(), dtype: float64);
        var shaped = radii.view([-1, .. Enumerable.Repeat(1L, (int)x.dim() - 1)]);
        var loss = CrossEntropyLoss.Create(labels);
        const int steps = 25, restarts = 5;
        using var g = new Generator(21);
        Tensor Norms(Tensor v) => v.flatten(1).norm(1).view(shaped.shape);
        for (int restart = 0; restart < restarts; restart++)
        {
            // A random start in the ball of each point's own radius, then ascent steps α = 2.5 r / steps projected back onto it.
            var direction = randn(x.shape, dtype: float64, generator: g);
            var delta = direction / Norms(direction) * shaped * rand(shaped.shape, dtype: float64, generator: g).sqrt();
            for (int step = 0; step <= steps; step++)
            {
                var point = x.Plus(delta);
                var predictions = TrainingHarness.Ok(Inference.Output(model, point)).argmax(1);
                var broken = predictions.ne(labels).nonzero();
                Assert.True(broken.shape[0] == 0, $"restart {restart}, step {step}: a certified point changed its label inside 0.99 × its radius");
                if (step == steps) break;
                var p = TrainingHarness.Ok(LossDerivatives.InputSensitivity(model, point, loss));
                delta = delta.Plus(shaped.Times(2.5 / steps) * p / Norms(p).AtLeast(1e-300));
                delta = delta * (shaped / Norms(delta).AtLeast(1e-300)).Clamped(0, 1);
            }
        }
    }

    [Theory]
    [InlineData("2")]
    [InlineData("inf")]
    public void Certified_accuracy_never_exceeds_pgd_accuracy(string q)
    {
        var trained = Model.Value;   // built outside the test's scope: the model lives for every test
        using var scope = NewDisposeScope();
        var norm = AttackNorm.Parse(q)!;
        double[] epsilons = q == "2" ? [0, 0.05, 0.1, 0.2, 0.3, 0.5] : [0, 0.05, 0.1, 0.15, 0.25];
        var certified = TrainingHarness.Ok(Certification.Certify(trained.Model, trained.Data.Test, norm)).Curve(epsilons);
        var pgd = TrainingHarness.Ok(Robustness.AccuracyCurve(trained.Model, trained.Data.Test, AttackFamily.Pgd(norm, 20, restarts: 2, seed: 5), epsilons));
        for (int i = 0; i < epsilons.Length; i++)
            Assert.True(certified.Points[i].Accuracy <= pgd.Points[i].Accuracy,
                $"ε = {epsilons[i]}: certified {certified.Points[i].Accuracy:P1} above PGD {pgd.Points[i].Accuracy:P1}");
        Assert.Equal(TrainingHarness.Ok(Classification.Accuracy(trained.Model, trained.Data.Test)), certified.Points[0].Accuracy, 12);
        Assert.True(certified.Points[2].Accuracy > 0.3, "the non-expansive network certifies little at a small radius");
    }
}
