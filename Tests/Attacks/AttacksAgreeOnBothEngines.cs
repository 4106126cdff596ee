using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Tests.Attacks.Support;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Attacks;

/// <summary>
/// The attacks are written once over <see cref="IEngine{T}"/> and draw their random numbers on the host, so the managed
/// engine and TorchSharp, given the same trained network and the same samples in float64, break the same samples and
/// return the same adversarial examples to 1e-6 for all but at most 2 % of them: the gradients differ by rounding only,
/// which an iterative attack carries along, and an ℓ∞ step takes the sign of every gradient entry, so an entry that
/// rounds to ±1e-17 on one engine may step the other way on the other (a saturated softmax has such entries).
/// </summary>
public sealed class AttacksAgreeOnBothEngines(StandardNetworks networks) : IClassFixture<StandardNetworks>
{
    private readonly ManagedEngine<double> _managed = new();

    public static TheoryData<string, string> Cases() => new()
    {
        { "apgd-ce", "inf" }, { "apgd-ce", "2" }, { "apgd-dlr", "inf" }, { "apgd-dlr", "2" }, { "square", "inf" }, { "square", "2" },
        { "pgd", "inf" }, { "fgsm", "2" },
    };

    private static IAttack Attack(string name, AttackNorm norm, InputBox? box) => name switch
    {
        "apgd-ce" => new Apgd(0.3, norm, Iterations: 25, Restarts: 2, Seed: 7, Box: box),
        "apgd-dlr" => new Apgd(0.3, norm, Iterations: 15, Loss: ApgdLoss.TargetedDlr, TargetClasses: 3, Seed: 7, Box: box),
        "square" => new Square(0.3, norm, Queries: 150, Restarts: 2, Seed: 7, Box: box),
        "pgd" => Pgd.Madry(0.3, norm, steps: 20, seed: 7, box: box),
        _ => new Fgsm(0.3, norm, box),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Managed_and_torch_find_the_same_adversarial_examples_in_float64(string name, string q)
    {
        var norm = AttackNorm.Parse(q)!;
        var torchModel = networks.BlobsModel;
        var test = networks.Blobs.Test;
        var box = new InputBox(-2.5, 2.5);
        var attack = Attack(name, norm, box);
        using var torchScope = NewDisposeScope();
        using var managedScope = _managed.OpenScope();
        var x0 = test.X.to(ScalarType.Float64).Clamped(box.Min, box.Max);
        var labels = test.Labels;

        var onTorch = Ok(attack.Perturb(torchModel, x0, CrossEntropyLoss.Create(labels)));

        IBlock<ManagedTensor<double>> managedModel = Ok(PointCloudModelOf(torchModel));
        var onManaged = Ok(attack.Perturb(managedModel, _managed.FromTensor(x0), new CrossEntropyLoss<ManagedTensor<double>>(_managed, _managed.FromTensor(labels))));

        var managedExamples = _managed.ToTensor(onManaged);
        var perSample = onTorch.Plus(managedExamples, -1).abs().amax([1]).data<double>().ToArray();
        int apart = perSample.Count(d => d > 1e-6);
        Assert.True(apart <= perSample.Length / 50, $"{attack}: {apart} of {perSample.Length} examples differ by more than 1e-6 (largest {perSample.Max():G3})");
        // Every verdict is the same: a sample is broken on one engine exactly when it is broken on the other.
        var brokenOnTorch = Ok(RobustNode.Training.Evaluation.Classification.Predictions(torchModel, onTorch)).ne(labels).data<bool>().ToArray();
        var brokenOnManaged = _managed.ToArray(Ok(RobustNode.Training.Evaluation.Classification.Predictions(managedModel, onManaged)))
            .Zip(labels.data<long>().ToArray(), (p, y) => (long)p != y).ToArray();
        Assert.Equal(brokenOnTorch, brokenOnManaged);
        // The attack does something: the examples are not the clean points.
        Assert.True(onTorch.Plus(x0, -1).abs().max().item<double>() > 0.01, $"{attack} left the samples unchanged");
    }

    /// <summary>The trained network's blocks with their parameters moved to the managed engine.</summary>
    private LanguageExt.Fin<Network<ManagedTensor<double>>> PointCloudModelOf(Network<Tensor> trained) =>
        new RobustNode.Training.Models.PointCloudModel(Dim: 4, Layers: 8, Classes: 4).Build(_managed, seed: 4)
            .Map(model => (Network<ManagedTensor<double>>)model.WithParameters(trained.Parameters.Select(p => _managed.FromTensor(p.to(ScalarType.Float64))).ToArray()));
}
