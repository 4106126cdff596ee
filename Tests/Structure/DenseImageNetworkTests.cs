using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using RobustNode.Tests.Host;
using Xunit;

namespace RobustNode.Tests.Structure;

/// <summary>
/// The dense network of an image experiment (<c>Model:Network = dense</c>): each image is one vector of pixels, carried by
/// gradient-flow layers on the managed engine; a tiny <c>mnist-dense-certified</c> run trains (standard, Lipschitz-margin,
/// GloRo and GloRo-TRADES training) on randomly shifted images, reports certified ℓ2 curves at or below PGD's, draws its images as images, and its checkpoints serve
/// <c>certify</c> and <c>attack</c>; bad settings are named.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public sealed class DenseImageNetworkTests
{
    private const string Experiment = "mnist-dense-certified";

    private static string Settings(TempFolder folder, params (string Path, JsonNode? Value)[] changes) =>
        Robustnode.SettingsWith([
            ("Output:Folder", folder.File("runs")),
            ($"Experiments:{Experiment}:Data:Images", Path.Combine(RepositoryRoot.Path, "data/mnist/digits-images-idx3-ubyte")),
            ($"Experiments:{Experiment}:Data:Labels", Path.Combine(RepositoryRoot.Path, "data/mnist/digits-labels-idx1-ubyte")),
            ($"Experiments:{Experiment}:Data:TrainCount", 96),
            ($"Experiments:{Experiment}:Data:TestCount", 40),
            ($"Experiments:{Experiment}:Model:Rows", 12),
            ($"Experiments:{Experiment}:Model:Layers", 2),
            ($"Experiments:{Experiment}:Training:Epochs", 2),
            ($"Experiments:{Experiment}:Training:BatchSize", 32),
            ($"Experiments:{Experiment}:Training:LipschitzMargin:WarmupEpochs", 1),
            ($"Experiments:{Experiment}:Training:GloRo:WarmupEpochs", 1),
            ($"Experiments:{Experiment}:Training:GloRoTrades:Enabled", true),
            ($"Experiments:{Experiment}:Training:GloRoTrades:WarmupEpochs", 1),
            ($"Experiments:{Experiment}:Evaluation:Pgd:Steps", 3),
            ($"Experiments:{Experiment}:Evaluation:Pgd:TestCount", 40),
            .. changes,
        ]);

    [Fact]
    public void A_dense_image_network_trains_certifies_and_draws_its_images()
    {
        using var folder = new TempFolder();
        var settings = Settings(folder);
        var train = Robustnode.Run(folder, ["train", "--experiment", Experiment], Settings(folder, ($"Experiments:{Experiment}:Training:RandomShift", 2)));
        Assert.True(train.ExitCode == ExitCodes.Success, train.Error);
        Assert.Contains(train.Log, l => l.Contains("Engine: managed"));
        var runFolder = TrainingJobs.Run(folder, Experiment);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(runFolder, "report.json")))!;
        // The 784 pixels move as the 28×28 images they are.
        Assert.Equal("±2 px, fill 0", report["settings"]!["training.randomShift"]!.GetValue<string>());
        Assert.StartsWith("point-cloud-gradient-flow(rows=12, activation=relu, directions=contractive, stepRule=normalisation, inputs=784, dim=784,", report["model"]!["description"]!.GetValue<string>());
        // Zero padding (here the identity on 784 pixels), the gradient-flow block, the read-out.
        CertifyVerbTests.AssertCertifiedAtMostPgdWithANonExpansiveBody(report, "certified-2");
        Assert.Equal(["standard", "lipschitz-margin", "gloro", "gloro-trades"], report["trainers"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.True(File.Exists(Path.Combine(runFolder, "data.png")), "the training images are drawn");

        var model = Path.Combine(runFolder, "models", "lipschitz-margin.ckpt");
        var json = folder.File("certificates.json");
        var certify = Robustnode.Run(folder, ["certify", "--model", model, "--norm", "2", "--epsilons", "0,0.5,1.58", "--out", json], settings);
        Assert.True(certify.ExitCode == ExitCodes.Success, certify.Error);
        Assert.Equal(40, JsonNode.Parse(File.ReadAllText(json))!["samples"]!.AsArray().Count);
        var png = folder.File("attack.png");
        var attack = Robustnode.Run(folder, ["attack", "--model", model, "--attack", "pgd", "--epsilon", "1", "--count", "4", "--out", png], settings);
        Assert.True(attack.ExitCode == ExitCodes.Success, attack.Error);
        Assert.True(new FileInfo(png).Length > 0);
    }

    [Fact]
    public void The_network_setting_is_checked_and_named()
    {
        using var folder = new TempFolder();
        var settings = Settings(folder,
            ($"Experiments:{Experiment}:Model:Network", "recurrent"),
            ("Experiments:moons:Model:Network", "dense"),
            ("Experiments:moons:Training:RandomShift", 2),
            ("Experiments:spirals:Training:RandomShift", -1));
        var run = Robustnode.Run(folder, ["train", "--experiment", Experiment], settings);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"Experiments:{Experiment}:Model:Network: expected convolutional or dense, got 'recurrent'", run.Error);
        Assert.Contains("Experiments:moons:Model:Network: unknown setting", run.Error);
        Assert.Contains("Experiments:moons:Training:RandomShift: moves images, but the data are point clouds; got 2", run.Error);
        Assert.Contains("Experiments:spirals:Training:RandomShift:", run.Error);

        // A shift the images cannot take is named once the images are known, before anything is written.
        var far = Robustnode.Run(folder, ["train", "--experiment", Experiment], Settings(folder, ($"Experiments:{Experiment}:Training:RandomShift", 28)));
        Assert.Equal(ExitCodes.InvalidInput, far.ExitCode);
        Assert.Contains($"Experiments:{Experiment}:Training:RandomShift: an offset of 28 pixels moves a 28×28 image out of its frame", far.Error);
        Assert.False(Directory.Exists(folder.File("runs")));

        var narrow = Robustnode.Run(folder, ["train", "--experiment", Experiment], Settings(folder, ($"Experiments:{Experiment}:Model:Dim", 100)));
        Assert.NotEqual(ExitCodes.Success, narrow.ExitCode);
        Assert.Contains("the state dimension must be at least the input dimension 784, got 100", narrow.Error);
    }
}
