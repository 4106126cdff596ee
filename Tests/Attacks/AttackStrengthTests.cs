using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Tests.Attacks.Support;
using RobustNode.Tests.Host;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using Xunit.Abstractions;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Attacks;

/// <summary>
/// APGD and Square against PGD-20 (one random start, α = 2.5 ε/20) on standard networks, on the same samples, with
/// budgets of the same order: on the point clouds APGD three restarts of 20 iterations (63 gradients against PGD's 21),
/// Square 200 queries (forward passes only, about 70 gradients' worth); on the digits APGD-CE 20 iterations, APGD-T 20 per
/// target class (AutoAttack's nine), Square 300 queries.
/// </summary>
public sealed class AttackStrengthTests(StandardNetworks networks, ITestOutputHelper output) : IClassFixture<StandardNetworks>
{
    private static bool[] Correct(IBlock<Tensor> model, Dataset data, IAttack attack) => Ok(Robustness.CorrectUnderAttack(model, data, attack));

    private static int Count(bool[] correct) => correct.Count(c => c);

    private void Compare(string name, IBlock<Tensor> model, Dataset test, AttackNorm norm, double eps, IAttack challenger)
    {
        int pgd = Count(Correct(model, test, Pgd.Madry(eps, norm, steps: 20, seed: 1)));
        int other = Count(Correct(model, test, challenger));
        output.WriteLine($"{name} ℓ{norm} ε = {eps}: PGD-20 leaves {pgd}, {challenger.Name} {other} of {test.Count}");
        Assert.True(other <= pgd, $"{name} ℓ{norm} ε = {eps}: {challenger.Name} leaves {other} samples correct, PGD-20 {pgd}");
    }

    [Theory]
    [InlineData("inf")]
    [InlineData("2")]
    public void Apgd_is_at_least_as_strong_as_pgd20_on_the_point_clouds(string q)
    {
        var norm = AttackNorm.Parse(q)!;
        foreach (var eps in new[] { 0.1, 0.2, 0.3, 0.4 })
        {
            Compare("moons", networks.MoonsModel, networks.Moons.Test, norm, eps, new Apgd(eps, norm, Iterations: 20, Restarts: 3, Seed: 1));
            Compare("moons", networks.MoonsModel, networks.Moons.Test, norm, eps, new Apgd(eps, norm, Iterations: 20, Restarts: 3, Loss: ApgdLoss.TargetedMargin, Seed: 1));
        }
        foreach (var eps in new[] { 0.2, 0.4, 0.6, 0.8 })
        {
            Compare("blobs", networks.BlobsModel, networks.Blobs.Test, norm, eps, new Apgd(eps, norm, Iterations: 20, Restarts: 3, Seed: 1));
            Compare("blobs", networks.BlobsModel, networks.Blobs.Test, norm, eps, new Apgd(eps, norm, Iterations: 20, Restarts: 3, Loss: ApgdLoss.TargetedDlr, TargetClasses: 3, Seed: 1));
        }
    }

    [Fact]
    public void Square_is_at_least_as_strong_as_pgd20_on_the_point_clouds_in_the_max_norm()
    {
        foreach (var eps in new[] { 0.1, 0.2, 0.3, 0.4 })
            Compare("moons", networks.MoonsModel, networks.Moons.Test, AttackNorm.Infinity, eps, new Square(eps, AttackNorm.Infinity, Queries: 200, Seed: 1));
        foreach (var eps in new[] { 0.2, 0.4, 0.6, 0.8 })
            Compare("blobs", networks.BlobsModel, networks.Blobs.Test, AttackNorm.Infinity, eps, new Square(eps, AttackNorm.Infinity, Queries: 200, Seed: 1));
    }

    [MnistFact]
    public void Apgd_and_square_are_at_least_as_strong_as_pgd20_on_a_standard_digit_network()
    {
        var all = Ok(from images in IdxFile.Parse(File.ReadAllBytes(TrainingJobs.MnistImages), TrainingJobs.MnistImages)
                     from labels in IdxFile.Parse(File.ReadAllBytes(TrainingJobs.MnistLabels), TrainingJobs.MnistLabels)
                     from data in ImageData.FromIdx("mnist", images, labels, TrainingJobs.MnistImages, TrainingJobs.MnistLabels)
                     select data);
        var (trainImages, rest) = all.Split(2000, 1);
        var train = Ok(Dataset.Create(trainImages.Images, trainImages.Labels, 10, "train"));
        var test = Ok(Dataset.Create(rest.Images.narrow(0, 0, 100), rest.Labels.narrow(0, 0, 100), 10, "test"));
        var network = Ok(new ConvolutionalOdeModel(Width: 16, Layers: 2).Build(SolverCatalog.Fixed(Tableaux.Euler), AdjointMode.Discrete, 3));
        var options = new TrainingOptions(new StandardObjective(), new Adam(0.01), Epochs: 3, BatchSize: 32, Seed: 2);
        var state = Ok(Trainer.Start(network, options));
        Ok(Trainer.Run(state, train, options));
        var model = state.Model;
        var box = InputBox.Unit;
        foreach (var (norm, eps) in new[] { (AttackNorm.Infinity, 0.05), (AttackNorm.Two, 0.5), (AttackNorm.Two, 1.0) })
        {
            int pgd = Count(Correct(model, test, Pgd.Madry(eps, norm, steps: 20, seed: 1, box: box)));
            foreach (var apgd in new IAttack[] { new Apgd(eps, norm, Iterations: 20, Seed: 1, Box: box), new Apgd(eps, norm, Iterations: 20, Loss: ApgdLoss.TargetedDlr, Seed: 1, Box: box) })
            {
                int left = Count(Correct(model, test, apgd));
                output.WriteLine($"digits ℓ{norm} ε = {eps}: PGD-20 leaves {pgd}, {apgd.Name} {left} of {test.Count}");
                Assert.True(left <= pgd, $"ℓ{norm} ε = {eps}: {apgd.Name} leaves {left}, PGD-20 {pgd}");
            }
        }
        int pgd10 = Count(Correct(model, test, Pgd.Madry(0.1, AttackNorm.Infinity, steps: 20, seed: 1, box: box)));
        int square = Count(Correct(model, test, new Square(0.1, AttackNorm.Infinity, Queries: 300, Seed: 1, Box: box)));
        output.WriteLine($"digits ℓinf ε = 0.1: PGD-20 leaves {pgd10}, square {square} of {test.Count}");
        Assert.True(square <= pgd10);
    }
}
