using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using RobustNode.Host.Images;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Denoising;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>The train-denoiser and pnp verbs end to end on small generated images, and their refusals of bad input.</summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public class DenoisingVerbTests
{
    /// <summary>Four 40×40 smooth images written as PNG files into <c>images/</c>: three for training, one for testing.</summary>
    private static string Images(TempFolder folder)
    {
        var images = Directory.CreateDirectory(folder.File("images")).FullName;
        for (int k = 0; k < 4; k++)
        {
            var pixels = new double[40 * 40];
            for (int r = 0; r < 40; r++)
                for (int c = 0; c < 40; c++)
                    pixels[r * 40 + c] = 0.5 + 0.35 * Math.Sin((r + 5 * k) / 6.0) * Math.Cos((c - 3 * k) / 4.0);
            var image = GreyImage.Create($"waves{k}", 40, 40, pixels).Match(i => i, e => throw new InvalidOperationException(e.Message));
            File.WriteAllBytes(Path.Combine(images, $"waves{k}.png"), GreyImageFile.EncodePng(image));
        }
        return images;
    }

    /// <summary>Settings with a tiny denoiser "tiny" (width 4, depth 3, 1 epoch) on the generated images, one thread.</summary>
    private static string Settings(TempFolder folder, params (string Path, JsonNode? Value)[] changes) =>
        Robustnode.SettingsWith([
            ("Output:Folder", folder.File("runs")),
            ("Torch:Threads", 1),
            ("Denoising:Data:Folder", Images(folder)),
            ("Denoising:Data:TrainImages", JsonNode.Parse("""["waves0", "waves1", "waves2"]""")),
            ("Denoising:Data:TestImages", JsonNode.Parse("""["waves3"]""")),
            ("Denoising:Data:FashionMnistCount", 0),
            ("Denoising:Data:FashionMnistTestCount", 0),
            ("Denoising:Data:PatchSize", 16),
            ("Denoising:Data:PatchesPerImage", 8),
            ("Denoising:Data:TestCrop", 32),
            ("Denoising:Denoisers:tiny", JsonNode.Parse("""
                { "Architecture": "dncnn", "Width": 4, "Depth": 3, "NoiseLevels": [25], "Seed": 3,
                  "Training": { "Optimizer": { "Name": "adam", "LearningRate": 0.003 }, "Epochs": 1, "BatchSize": 8, "Seed": 4 } }
                """)),
            .. changes,
        ]);

    private static string Model(TempFolder folder) => Path.Combine(Run(folder, "tiny"), "models", "tiny.ckpt");

    [Fact]
    public void Train_denoiser_writes_its_model_and_report_and_resumes_to_more_epochs()
    {
        using var folder = new TempFolder();
        var settings = Settings(folder);

        var run = Robustnode.Run(folder, ["train-denoiser", "--denoiser", "tiny"], settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Contains("| waves3 | ", run.Out);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(Run(folder, "tiny"), "report.json")))!;
        Assert.Equal("tiny", (string?)report["denoiser"]);
        Assert.Equal("dncnn", (string?)report["model"]!["architecture"]);
        Assert.Equal(24, (int)report["data"]!["count"]!);
        Assert.Equal(1, (int)report["training"]!["epochs"]!);
        var scores = report["test"]!["images"]!["scores"]!.AsArray();
        Assert.Equal([15.0, 25.0], scores.Select(s => (double)s!["noiseLevel"]!));
        Assert.All(scores, s => Assert.True((double)s!["denoisedPsnr"]! > 10));
        Assert.True(File.Exists(Model(folder)));
        AssertPng(Path.Combine(Run(folder, "tiny"), "training.png"));
        AssertPng(Path.Combine(Run(folder, "tiny"), "denoised.png"));
        Assert.Contains("| kind | `denoiser` |", File.ReadAllText(Path.Combine(Run(folder, "tiny"), "report.md")));

        var more = Robustnode.Run(folder, ["train-denoiser", "--denoiser", "tiny", "--resume", "--Denoising:Denoisers:tiny:Training:Epochs=2"], settings);
        Assert.True(more.ExitCode == ExitCodes.Success, more.Error);
        var resumed = JsonNode.Parse(File.ReadAllText(Path.Combine(Run(folder, "tiny"), "report.json")))!;
        Assert.Equal(1, (int)resumed["training"]!["resumedFrom"]!);
        Assert.Equal(2, resumed["training"]!["history"]!.AsArray().Count);

        var classifier = Robustnode.Run(folder, ["evaluate", "--model", Model(folder)], settings);
        Assert.Equal(ExitCodes.InvalidInput, classifier.ExitCode);
        Assert.Contains("the model is a dncnn network, the experiment's a point-cloud-node network", classifier.Error);
    }

    [Fact]
    public void Pnp_reconstructs_with_a_trained_denoiser_and_reports_every_iteration()
    {
        using var folder = new TempFolder();
        var settings = Settings(folder);
        Assert.Equal(ExitCodes.Success, Robustnode.Run(folder, ["train-denoiser", "--denoiser", "tiny"], settings).ExitCode);
        var output = folder.File("pnp");

        foreach (var problem in new[] { "deblur", "inpaint" })
        {
            var run = Robustnode.Run(folder, ["pnp", "--denoiser", Model(folder), "--problem", problem, "--crop", "24", "--iterations", "6",
                "--applications", "4", "--out", Path.Combine(output, problem)], settings);

            Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
            Assert.Contains("| waves3 | ", run.Out);
            var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, problem, "report.json")))!;
            Assert.Equal(problem, (string?)report["problem"]!["kind"]);
            Assert.Equal(1.0, (double)report["problem"]!["stepSize"]!);
            var reconstruction = report["images"]![0]!["reconstructions"]![0]!;
            Assert.Equal("tiny", (string?)reconstruction["denoiser"]);
            Assert.Equal(6, reconstruction["psnr"]!.AsArray().Count);
            Assert.Equal(6, reconstruction["residual"]!.AsArray().Count);
            Assert.Equal(4, report["images"]![0]!["selfApplication"]![0]!["drift"]!.AsArray().Count);
            Assert.Equal(1.0, (double)report["denoisers"]![0]!["averagednessTest"]!["alpha"]!);
            Assert.True((double)report["denoisers"]![0]!["jacobianNorm"]! > 0);
            foreach (var png in new[] { "reconstructions.png", "convergence.png", "self-application.png" }) AssertPng(Path.Combine(output, problem, png));
            Assert.Contains("## Each denoiser applied 4 times to its own output", File.ReadAllText(Path.Combine(output, problem, "report.md")));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_gradient_flow_denoiser_trains_and_reconstructs_with_its_proven_averagedness(int channels)
    {
        using var folder = new TempFolder();
        var settings = Settings(folder, ("Denoising:Denoisers:flow", JsonNode.Parse($$"""
            { "Architecture": "gradient-flow", "Steps": 3, "Filters": 4, "Channels": {{channels}}, "Theta": 0.9, "NoiseLevels": [25], "Seed": 3,
              "Training": { "Optimizer": { "Name": "adam", "LearningRate": 0.01 }, "Epochs": 1, "BatchSize": 8, "Seed": 4 } }
            """)));

        var run = Robustnode.Run(folder, ["train-denoiser", "--denoiser", "flow"], settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(Run(folder, "flow"), "report.json")))!;
        Assert.Equal("gradient-flow", (string?)report["model"]!["architecture"]);
        Assert.Equal(1.0, (double)report["model"]!["lipschitzBound"]!);
        double alpha = (double)report["model"]!["averagedness"]!;
        Assert.True(alpha > 0 && alpha < 1, $"α = {alpha}");
        Assert.Equal(3 * 4 * (channels * 9 + 1), (int)report["model"]!["parameters"]!);

        var model = Path.Combine(Run(folder, "flow"), "models", "flow.ckpt");
        var output = folder.File("pnp-flow");
        var pnp = Robustnode.Run(folder, ["pnp", "--denoiser", model, "--problem", "inpaint", "--crop", "24", "--iterations", "6",
            "--applications", "4", "--out", output], settings);
        Assert.True(pnp.ExitCode == ExitCodes.Success, pnp.Error);
        var pnpReport = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        var denoiser = pnpReport["denoisers"]![0]!;
        Assert.Equal("flow", (string?)denoiser["name"]);
        Assert.True((double)denoiser["averagedness"]! < 1);
        Assert.True((bool)denoiser["averagednessTest"]!["holds"]!);
        Assert.Equal((double)denoiser["averagedness"]!, (double)denoiser["averagednessTest"]!["alpha"]!);
        var residuals = pnpReport["images"]![0]!["reconstructions"]![0]!["residual"]!.AsArray().Select(r => (double)r!).ToArray();
        for (int k = 1; k < residuals.Length; k++) Assert.True(residuals[k] <= residuals[k - 1] * (1 + 1e-9) + 1e-15, $"residual rose at iteration {k + 1}");
    }

    [Fact]
    public void Bad_denoising_settings_are_all_reported_with_their_keys()
    {
        using var folder = new TempFolder();
        var settings = Settings(folder,
            ("Denoising:Data:PatchSise", 3),
            ("Denoising:Data:FashionMnistCount", 10),
            ("Denoising:Data:PatchSize", 40),
            ("Denoising:Denoisers:tiny:NoiseLevels", JsonNode.Parse("[300]")),
            ("Denoising:Denoisers:tiny:Depth", 1),
            ("Denoising:Denoisers:other", JsonNode.Parse("""{ "Architecture": "unet" }""")));

        var run = Robustnode.Run(folder, ["train-denoiser", "--denoiser", "tiny"], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("robustnode train-denoiser: invalid configuration:", run.Error);
        Assert.Contains("Denoising:Data:PatchSise: unknown setting", run.Error);
        Assert.Contains("Denoising:Denoisers:tiny:NoiseLevels: expected noise levels in grey levels of 255, each in (0, 255), got [300]", run.Error);
        Assert.Contains("Denoising:Denoisers:tiny:Depth: must be at least 2, got 1", run.Error);
        Assert.Contains("Denoising:Denoisers:other:Architecture: expected dncnn or gradient-flow, got 'unet'", run.Error);
        Assert.False(Directory.Exists(folder.File("runs")));

        var patch = Robustnode.Run(folder, ["train-denoiser", "--denoiser", "tiny"], Settings(folder, ("Denoising:Data:FashionMnistCount", 10), ("Denoising:Data:PatchSize", 40)));
        Assert.Contains("Denoising:Data:PatchSize: must be at most 28 while Fashion-MNIST's 28×28 images join the patches, got 40", patch.Error);

        var unknown = Robustnode.Run(folder, ["train-denoiser", "--denoiser", "nope"], Settings(folder));
        Assert.Equal(ExitCodes.InvalidInput, unknown.ExitCode);
        Assert.Contains("--denoiser: no denoiser 'nope' in the Denoising:Denoisers section; known: dncnn-15, dncnn-25, gradient-flow-15, gradient-flow-25, gradient-flow-lifted-15, gradient-flow-lifted-25, tiny", unknown.Error);

        var small = Robustnode.Run(folder, ["train-denoiser", "--denoiser", "tiny"], Settings(folder, ("Denoising:Data:PatchSize", 41), ("Denoising:Data:FashionMnistCount", 0)));
        Assert.Equal(ExitCodes.InvalidInput, small.ExitCode);
        Assert.Contains("images smaller than the 41×41 patches: waves0 is 40×40", small.Error);
    }

    [Fact]
    public void Pnp_refuses_bad_options_images_and_checkpoints_before_computing()
    {
        using var folder = new TempFolder();
        var settings = Settings(folder);
        var output = folder.File("pnp");
        var notADenoiser = folder.File("classifier.ckpt");
        File.WriteAllBytes(notADenoiser, CheckpointSerializer.Serialize(new Checkpoint(
            new ConfigurationFingerprint([new("experiment", "moons")]), 1, [], new OptimizerSnapshot("adam", 0, [], []))));
        var picture = folder.Write("picture.png", "not a picture");

        var options = Robustnode.Run(folder, ["pnp", "--denoiser", notADenoiser, "--problem", "blur", "--step", "2", "--crop", "-1", "--missing", "1", "--out", output], settings);
        Assert.Equal(ExitCodes.InvalidInput, options.ExitCode);
        Assert.Contains("--problem: expected deblur or inpaint, got 'blur'", options.Error);
        Assert.Contains("--crop: expected an integer of at least 0, got '-1'", options.Error);
        Assert.Contains("--missing: must lie in [0, 1), got 1", options.Error);

        var step = Robustnode.Run(folder, ["pnp", "--denoiser", notADenoiser, "--problem", "deblur", "--step", "2", "--out", output], settings);
        Assert.Equal(ExitCodes.InvalidInput, step.ExitCode);
        Assert.Contains("step size γ = 2 must be below 2/L = 2", step.Error);

        var inputs = Robustnode.Run(folder, ["pnp", "--denoiser", $"{notADenoiser},{folder.File("none.ckpt")}", "--problem", "deblur",
            "--image", $"waves9,{picture}", "--out", output], settings);
        Assert.Equal(ExitCodes.InvalidInput, inputs.ExitCode);
        Assert.Contains("robustnode pnp: cannot read the input:", inputs.Error);
        Assert.Contains($"{notADenoiser}: checkpoint does not match this run: it holds a model of experiment 'moons', not a denoiser", inputs.Error);
        Assert.Contains($"{folder.File("none.ckpt")}: cannot read the checkpoint: no such file", inputs.Error);
        Assert.Contains("--image: no image 'waves9' (.png or .jpg)", inputs.Error);
        Assert.Contains($"{picture}: not a PNG or JPEG image", inputs.Error);

        Assert.Equal(ExitCodes.Success, Robustnode.Run(folder, ["train-denoiser", "--denoiser", "tiny"], settings).ExitCode);
        var crop = Robustnode.Run(folder, ["pnp", "--denoiser", Model(folder), "--problem", "inpaint", "--crop", "64", "--out", output], settings);
        Assert.Equal(ExitCodes.InvalidInput, crop.ExitCode);
        Assert.Contains("--crop: waves3: a 40×40 image is smaller than the 64×64 crop", crop.Error);
        Assert.False(Directory.Exists(output));
    }
}
