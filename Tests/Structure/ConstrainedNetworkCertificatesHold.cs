using FsCheck.Xunit;
using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Tests.Training;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// Certificates of an image network whose every layer is Lipschitz-constrained — a strided convolutional stem with
/// ‖W ∗ ·‖₂ ≤ 1 per layer (tanh between), average pooling and a read-out with ‖W‖₂ ≤ 3 — trained by Lipschitz-margin
/// training on three classes of noisy 8×8 patterns: training keeps every norm bound; the stated bound of the network
/// and the pairwise bounds of its logit differences are never below the ratios of random pairs; PGD-ℓ2 with random
/// restarts at 0.99× each certified radius never changes a certified prediction; certified accuracy never exceeds PGD
/// accuracy.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class ConstrainedNetworkCertificatesHold
{
    private sealed record Trained(Network<Tensor> Model, Dataset Train, Dataset Test);

    private const int Side = 8, Classes = 3;

    private static Dataset Patterns(int count, Tensor prototypes, ulong seed, string name)
    {
        using var g = new Generator(seed);
        var labels = randint(0, Classes, [count], dtype: int64, generator: g);
        var x = prototypes.index_select(0, labels) + randn([count, 1, Side, Side], dtype: float64, generator: g).Times(0.4);
        return TrainingHarness.Ok(Dataset.Create(x, labels, Classes, name));
    }

    private static readonly Lazy<Trained> Model = new(() =>
    {
        TrainingHarness.Initialise();
        using var g = new Generator(31);
        // Three patterns of norm about 8: horizontal stripes, vertical stripes, a centred blob.
        var rows = arange(Side, dtype: float64).view(-1, 1).expand(Side, Side);
        var columns = rows.t();
        var prototypes = stack([(rows % 2).Times(2).Minus(1), (columns % 2).Times(2).Minus(1),
            (-((rows - 3.5).pow(TorchScalars.Two) + (columns - 3.5).pow(TorchScalars.Two)) / 6).exp().Times(3)]).unsqueeze(1).DetachFromDisposeScope();
        var train = Patterns(300, prototypes, 1, "train");
        var test = Patterns(120, prototypes, 2, "test");
        var network = new Network<Tensor>([
            ConvolutionBlock.Initialised(1, 6, 3, 2, Activation.Tanh, g) with { Constraint = new ConvolutionNormBound(1, Side, Side) },
            ConvolutionBlock.Initialised(6, 8, 3, 1, Activation.Tanh, g) with { Constraint = new ConvolutionNormBound(1, Side / 2, Side / 2) },
            new GlobalAveragePoolingBlock(),
            LinearBlock.Initialised(8, Classes, g) with { NormBound = 3 }]);
        TrainingHarness.Ok(StepConstraints.Restore(network));
        var options = new TrainingOptions(new LipschitzMarginObjective(0.5) { WarmupEpochs = 2 }, new Adam(0.03), Epochs: 12, BatchSize: 30, Seed: 3);
        var state = TrainingHarness.Ok(Trainer.Start<Tensor>(network, options));
        TrainingHarness.Ok(Trainer.Run(state, train, options));
        return new Trained((Network<Tensor>)state.Model, train, test);
    });

    private static long[] InputShape => [1, 1, Side, Side];

    [Fact]
    public void Training_keeps_every_norm_bound_and_the_network_certifies()
    {
        var trained = Model.Value;
        var norms = StepConstraints.CheckNorms(trained.Model);
        Assert.Equal(3, norms.Count);
        Assert.All(norms, n => Assert.True(n.Norm <= n.Bound, $"{n.Block}: ‖W‖₂ = {n.Norm:R} > {n.Bound}"));
        var certificates = TrainingHarness.Ok(Certification.Certify(trained.Model, trained.Test, AttackNorm.Two));
        Assert.True(certificates.CertifiedAccuracy(0) > 0.8, $"clean accuracy {certificates.CertifiedAccuracy(0):P1}");
        Assert.True(certificates.CertifiedAccuracy(0.25) > 0.3, $"certified accuracy at 0.25: {certificates.CertifiedAccuracy(0.25):P1}");
    }

    [Property(MaxTest = 20)]
    public void The_network_and_every_logit_difference_stay_within_their_bounds(int seed)
    {
        var trained = Model.Value;   // built outside the test's scope: the model lives for every test
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)(uint)seed);
        var x = trained.Test.X.narrow(0, 0, 64) + randn([64, 1, Side, Side], dtype: float64, generator: g).Times(0.5);
        var y = x + randn(x.shape, dtype: float64, generator: g) * rand([64, 1, 1, 1], dtype: float64, generator: g).pow(TorchScalars.Two).Plus(0.001);
        var difference = TrainingHarness.Ok(Inference.Output(trained.Model, x)) - TrainingHarness.Ok(Inference.Output(trained.Model, y));
        var moved = (x - y).flatten(1).norm(1);
        double bound = TrainingHarness.Ok(LipschitzBounds.Of(trained.Model, InputShape)).Value;
        double ratio = (difference.norm(1) / moved).max().item<double>();
        Assert.True(ratio <= bound * (1 + 1e-10), $"ratio {ratio:R} above the bound {bound:R}");
        var pairs = TrainingHarness.Ok(LogitDifferenceBound.Of(trained.Model, InputShape));
        for (int i = 0; i < Classes; i++)
            for (int j = i + 1; j < Classes; j++)
            {
                double pairRatio = ((difference[.., i] - difference[.., j]).abs() / moved).max().item<double>();
                Assert.True(pairRatio <= pairs.Of(i, j) * (1 + 1e-10), $"z_{i} − z_{j}: ratio {pairRatio:R} above K = {pairs.Of(i, j):R}");
            }
    }

    [Fact]
    public void No_certified_point_is_broken_by_pgd_at_its_radius()
    {
        var trained = Model.Value;   // built outside the test's scope: the model lives for every test
        using var scope = NewDisposeScope();
        CertificatesHold.AssertNoCertifiedPointIsBroken(trained.Model, trained.Test, trained.Test.Count / 2);
    }

    [Fact]
    public void Certified_accuracy_never_exceeds_pgd_accuracy()
    {
        var trained = Model.Value;   // built outside the test's scope: the model lives for every test
        using var scope = NewDisposeScope();
        double[] epsilons = [0, 0.1, 0.25, 0.5, 1];
        var certified = TrainingHarness.Ok(Certification.Certify(trained.Model, trained.Test, AttackNorm.Two)).Curve(epsilons);
        var pgd = TrainingHarness.Ok(Robustness.AccuracyCurve(trained.Model, trained.Test, AttackFamily.Pgd(AttackNorm.Two, 20, restarts: 2, seed: 5), epsilons));
        for (int i = 0; i < epsilons.Length; i++)
            Assert.True(certified.Points[i].Accuracy <= pgd.Points[i].Accuracy,
                $"ε = {epsilons[i]}: certified {certified.Points[i].Accuracy:P1} above PGD {pgd.Points[i].Accuracy:P1}");
    }
}
