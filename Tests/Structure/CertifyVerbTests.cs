using System.Text.Json.Nodes;
using RobustNode.Host.Composition;
using RobustNode.Tests.Host;
using Xunit;

namespace RobustNode.Tests.Structure;

/// <summary>
/// The non-expansive experiments end to end: a tiny moons-nonexpansive run reports certified curves and Lipschitz bounds
/// beside FGSM and PGD; <c>certify</c> writes every sample's radius and the curve, as JSON or markdown; certified accuracy
/// stays at or below PGD accuracy in the report; bad settings and options are named.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public sealed class CertifyVerbTests
{
    private static string Settings(TempFolder folder, params (string Path, JsonNode? Value)[] changes) =>
        Robustnode.SettingsWith([
            ("Output:Folder", folder.File("runs")),
            ("Experiments:moons-nonexpansive:Data:Size", 120),
            ("Experiments:moons-nonexpansive:Model:Layers", 4),
            ("Experiments:moons-nonexpansive:Model:Rows", 6),
            ("Experiments:moons-nonexpansive:Training:Epochs", 3),
            ("Experiments:moons-nonexpansive:Training:Augmented:WarmupEpochs", 1),
            ("Experiments:moons-nonexpansive:Evaluation:Epsilons", JsonNode.Parse("[0, 0.05, 0.1, 0.2]")),
            ("Experiments:moons-nonexpansive:Evaluation:Pgd:Steps", 5),
            ("Experiments:moons-nonexpansive:Evaluation:Pgd:Restarts", 1),
            ("Experiments:moons-nonexpansive:Evaluation:Grid:Resolution", 24),
            .. changes,
        ]);

    private static double[] Accuracies(JsonNode curve) => curve["points"]!.AsArray().Select(p => p!["accuracy"]!.GetValue<double>()).ToArray();

    /// <summary>
    /// Every trainer of a report certifies (curve <paramref name="certifiedCurve"/>) at most what PGD leaves, at every
    /// radius, and its Lipschitz bound has three factors — input map, ODE block, read-out — the ODE block's being 1.
    /// </summary>
    internal static void AssertCertifiedAtMostPgdWithANonExpansiveBody(JsonNode report, string certifiedCurve)
    {
        foreach (var trainer in report["trainers"]!.AsArray())
        {
            var curves = trainer!["robustness"]!.AsArray();
            var certified = Accuracies(curves.Single(c => c!["attack"]!.GetValue<string>() == certifiedCurve)!);
            var pgd = Accuracies(curves.Single(c => c!["attack"]!.GetValue<string>().StartsWith("pgd"))!);
            for (int i = 0; i < certified.Length; i++)
                Assert.True(certified[i] <= pgd[i], $"{trainer["name"]}: certified {certified[i]} above PGD {pgd[i]} at radius {i}");
            var factors = trainer["lipschitz"]!["factors"]!.AsArray();
            Assert.Equal(3, factors.Count);
            Assert.Equal(1.0, factors[1]!["bound"]!.GetValue<double>(), 12);
        }
    }

    [Fact]
    public void A_non_expansive_run_reports_certified_curves_and_certify_writes_every_radius()
    {
        using var folder = new TempFolder();
        var settings = Settings(folder);
        var train = Robustnode.Run(folder, ["train", "--experiment", "moons-nonexpansive"], settings);
        Assert.True(train.ExitCode == ExitCodes.Success, train.Error);
        var runFolder = TrainingJobs.Run(folder, "moons-nonexpansive");
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(runFolder, "report.json")))!;
        AssertCertifiedAtMostPgdWithANonExpansiveBody(report, "certified-inf");
        Assert.Contains("certified-inf", File.ReadAllText(Path.Combine(runFolder, "report.md")));
        Assert.Contains("r₂ = margin / (√2 · L)", File.ReadAllText(Path.Combine(runFolder, "report.md")));

        var model = Path.Combine(runFolder, "models", "standard.ckpt");
        var json = folder.File("certificates.json");
        var certify = Robustnode.Run(folder, ["certify", "--model", model, "--norm", "2", "--epsilons", "0,0.1,0.3", "--out", json], settings);
        Assert.True(certify.ExitCode == ExitCodes.Success, certify.Error);
        Assert.Contains("| certified-2 |", certify.Out);
        var file = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal("2", file["norm"]!.GetValue<string>());
        Assert.Equal(file["testCount"]!.GetValue<int>(), file["samples"]!.AsArray().Count);
        Assert.Equal("certified-2", file["curve"]!["attack"]!.GetValue<string>());
        double bound = file["lipschitz"]!["bound"]!.GetValue<double>();
        Assert.True(bound > 0 && double.IsFinite(bound));
        Assert.All(file["samples"]!.AsArray(), s => Assert.True(s!["radius"]!.GetValue<double>() >= 0));
        // Radii in ℓ∞ are the ℓ2 radii over √n (n = 2 inputs).
        var inf = folder.File("certificates-inf.json");
        var infRun = Robustnode.Run(folder, ["certify", "--model", model, "--norm", "inf", "--out", inf], settings);
        Assert.True(infRun.ExitCode == ExitCodes.Success, infRun.Error);
        var r2 = file["samples"]![0]!["radius"]!.GetValue<double>();
        var rinf = JsonNode.Parse(File.ReadAllText(inf))!["samples"]![0]!["radius"]!.GetValue<double>();
        Assert.Equal(r2 / Math.Sqrt(2), rinf, 12);

        var markdown = folder.File("certificates.md");
        var markdownRun = Robustnode.Run(folder, ["certify", "--model", model, "--out", markdown], settings);
        Assert.True(markdownRun.ExitCode == ExitCodes.Success, markdownRun.Error);
        var text = File.ReadAllText(markdown);
        Assert.Contains("## Every test sample", text);
        Assert.Contains("Step rules of the gradient-flow layers", text);
        Assert.Contains("4 of 4 layers keep them", text);

        var bad = Robustnode.Run(folder, ["certify", "--model", model, "--norm", "3"], settings);
        Assert.Equal(ExitCodes.InvalidInput, bad.ExitCode);
        Assert.Contains("--norm: expected 2, inf or 1, got '3'", bad.Error);
    }

    [Fact]
    public void Gradient_flow_settings_are_checked_and_named()
    {
        using var folder = new TempFolder();
        var settings = Settings(folder,
            ("Experiments:moons:Model:Rows", 8),
            ("Experiments:moons-nonexpansive:Model:Directions", JsonNode.Parse("[\"contractive\", \"sideways\"]")),
            ("Experiments:spirals-nonexpansive:Model:Adaptive", true),
            ("Experiments:spirals-nonexpansive:Model:Solver", "dopri5"),
            ("Experiments:mnist-nonexpansive:Model:Field", "gradient-descent"),
            ("Experiments:fashion-mnist-nonexpansive:Model:Activation", "gelu"),
            ("Experiments:spirals:Model:StepRule", "normalisation"),
            ("Experiments:moons-nonexpansive:Model:StepRule", "renormalisation"),
            ("Experiments:fashion-mnist-certified:Model:StepRule", "normalisation"));
        var run = Robustnode.Run(folder, ["train", "--experiment", "moons-nonexpansive"], settings);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Experiments:moons:Model:Rows: applies to gradient-flow layers only; set Field = gradient-flow", run.Error);
        Assert.Contains("Experiments:moons-nonexpansive:Model:Directions[1]: expected contractive or expansive, got 'sideways'", run.Error);
        Assert.Contains("Experiments:spirals-nonexpansive:Model:Adaptive: gradient-flow layers keep a step-size rule", run.Error);
        Assert.Contains("Experiments:mnist-nonexpansive:Model:Field: expected node or gradient-flow, got 'gradient-descent'", run.Error);
        Assert.Contains("Experiments:fashion-mnist-nonexpansive:Model:Activation: 'gelu' is not monotone, so it is not the derivative of a convex potential", run.Error);
        Assert.Contains("Experiments:spirals:Model:StepRule: applies to gradient-flow layers only", run.Error);
        Assert.Contains("Experiments:moons-nonexpansive:Model:StepRule: expected projection or normalisation, got 'renormalisation'", run.Error);
        Assert.Contains("Experiments:fashion-mnist-certified:Model:StepRule: normalisation is for dense gradient-flow layers", run.Error);
    }
}
