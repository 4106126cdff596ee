using System.Text;
using System.Text.Json.Nodes;
using RobustNode.Host.Denoising;
using RobustNode.Host.Reports;
using RobustNode.Host.Schemas;
using RobustNode.Training.Denoising;
using RobustNode.Training.Reconstruction;
using Xunit;
using static LanguageExt.Prelude;

namespace RobustNode.Tests.Schemas;

/// <summary>The JSON files of train-denoiser and pnp round-trip through their schema records and write non-finite numbers as null.</summary>
public class DenoisingJsonFiles
{
    private static void AssertRoundTrip<T>(byte[] written, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        Assert.Equal(Encoding.UTF8.GetString(written), Encoding.UTF8.GetString(JsonFiles.Write(JsonFiles.Parse(written, type), type)));

    private static GreyImage Image(string name) => new(name, 2, 2, [0, 0.25, 0.5, 1]);

    [Fact]
    public void Denoiser_report_and_history_round_trip()
    {
        var report = new DenoiserReport("dncnn-25", "dncnn-25", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            new ResidualCnn(8, 3).Describe(), 1234, "Float32", "natural(…)", 100, 28, [25 / 255.0], 1,
            [new DenoisingEpoch(0, 0.01, 0.0096, 0.001, 4, 100, TimeSpan.FromSeconds(1.5)), new DenoisingEpoch(1, 0.0, 0.0096, 0.001, 4, 100, TimeSpan.FromSeconds(1.25))],
            [new DenoisingScore("camera", 15 / 255.0, 24.6, 30.1), new DenoisingScore("camera", 25 / 255.0, 20.2, double.PositiveInfinity)],
            [new DenoisingScore("fashion-mnist[0]", 15 / 255.0, 24.5, 28.0)],
            None, Some(0.75), [new("kind", "denoiser"), new("denoiser", "dncnn-25")], "models/dncnn-25.ckpt", ["training.png"]);

        var bytes = report.Json();
        AssertRoundTrip(bytes, JsonFiles.Default.DenoiserReportFile);

        var json = JsonNode.Parse(bytes)!;
        Assert.Equal(["run", "denoiser", "finished", "model", "data", "training", "test", "settings", "plots"], json.AsObject().Select(p => p.Key));
        Assert.Equal("dncnn", (string?)json["model"]!["architecture"]);
        Assert.Equal("8", (string?)json["model"]!["architectureSettings"]!["width"]);
        Assert.Null(json["model"]!["lipschitzBound"]);
        Assert.Equal(0.75, (double)json["model"]!["averagedness"]!);
        Assert.Null(json["training"]!["history"]![1]!["psnr"]);                     // MSE 0: PSNR +∞, written as null
        Assert.Null(json["test"]!["images"]!["scores"]![1]!["denoisedPsnr"]);
        Assert.Equal(25.0, (double)json["test"]!["images"]!["scores"]![1]!["noiseLevel"]!);
        Assert.Null(json["test"]!["fashionMnist"]!["scores"]);
        Assert.Equal(1, (int)json["test"]!["fashionMnist"]!["count"]!);

        using var folder = new Host.TempFolder();
        var path = folder.File("history.json");
        DenoisingHistory.Write(path, report.History);
        var read = DenoisingHistory.Read(path).Match(h => h, e => throw new InvalidOperationException(e.Head.Message));
        Assert.Equal(report.History[0], read[0]);
        Assert.Contains("cannot read the training history", DenoisingHistory.Read(folder.Write("bad.json", "[{}]")).Match(_ => "", e => e.Head.Message));
    }

    [Fact]
    public void Pnp_report_round_trips()
    {
        var request = new PnpRequest(["a.ckpt"], PnpProblem.Inpaint, null, null, 128, 2, 1e-6, null, null, 1.6, 0.5, 2, null, 1);
        var check = new AveragednessCheck(1, 8, 2, -0.1, double.PositiveInfinity, 1.2);
        var outcome = new PnpOutcome(request, "inpainting(missing=0.5, seed=1, size=2x2)", 1.0,
            [new PnpDenoiser("d", "a.ckpt", [25 / 255.0], None, None, check, 1.3)],
            [new PnpImage(Image("camera"), Image("camera"), 12.5, 11.0,
                [new PnpReconstruction("d", Image("camera"), [new PnpIteration(1, [0.5], [20.0]), new PnpIteration(2, [0.6], [double.PositiveInfinity])], false, TimeSpan.FromSeconds(2))],
                [new PnpSelfApplication("d", 25 / 255.0, 20.0, [new SelfApplicationStep(1, [0.1], [25.0]), new SelfApplicationStep(2, [0.2], [24.0])])])],
            new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

        var bytes = PnpReport.Json(outcome, ["convergence.png"]);
        AssertRoundTrip(bytes, JsonFiles.Default.PnpReportFile);

        var json = JsonNode.Parse(bytes)!;
        Assert.Equal(["finished", "problem", "denoisers", "images", "plots"], json.AsObject().Select(p => p.Key));
        Assert.Null(json["denoisers"]![0]!["averagednessTest"]!["smallestAlpha"]);
        var reconstruction = json["images"]![0]!["reconstructions"]![0]!;
        Assert.Equal(1, (int)reconstruction["residualRises"]!);
        Assert.Null(reconstruction["psnr"]![1]);
        Assert.Equal(1, (int)json["images"]![0]!["selfApplication"]![0]!["driftRises"]!);
    }
}
