using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using RobustNode.Core.Norms;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.Runs;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>
/// The robust trainers in the host: the sections <c>Training:FgsmRs</c>, <c>Trades</c>, <c>GradAlign</c>, <c>Llr</c>,
/// <c>AugmentedAdversarial</c>, <c>LipschitzMargin</c> and <c>GloRo</c> are validated like every setting, become the library's objectives in network units, and
/// train beside the others with their names in the reports.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public class RobustTrainerSettingsTests
{
    [Fact]
    public void Every_bad_robust_trainer_setting_is_reported_at_once_naming_its_key()
    {
        using var folder = new TempFolder();
        var settings = TinyMoons(folder,
            ("Experiments:moons:Training:FgsmRs:Enabled", "yes"),
            ("Experiments:moons:Training:FgsmRs:StepSize", 0),
            ("Experiments:moons:Training:Trades:Weight", -1),
            ("Experiments:moons:Training:Trades:Steps", 0),
            ("Experiments:moons:Training:GradAlign:Norm", "3"),
            ("Experiments:moons:Training:GradAlign:Lambda", 0.2),
            ("Experiments:moons:Training:Llr:GradientWeight", "many"),
            ("Experiments:moons:Training:Llr:Epsilon", 0),
            ("Experiments:moons:Training:AugmentedAdversarial:Weight", -0.5),
            ("Experiments:moons:Training:AugmentedAdversarial:WarmupEpochs", -1),
            ("Experiments:moons:Training:Fgsm:Enabled", true));

        var run = Robustnode.Run(folder, [], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        string[] expected =
        [
            "Experiments:moons:Training:FgsmRs:Enabled: expected true or false, got 'yes'",
            "Experiments:moons:Training:FgsmRs:StepSize: must",
            "Experiments:moons:Training:Trades:Weight: must",
            "Experiments:moons:Training:Trades:Steps: must be at least 1, got 0",
            "Experiments:moons:Training:GradAlign:Norm: expected inf, 2 or 1, got '3'",
            "Experiments:moons:Training:GradAlign:Lambda: unknown setting; known: Enabled, Norm, Epsilon, Weight, WarmupEpochs",
            "Experiments:moons:Training:Llr:GradientWeight: expected a number, got 'many'",
            "Experiments:moons:Training:Llr:Epsilon: must",
            "Experiments:moons:Training:AugmentedAdversarial:Weight: must",
            "Experiments:moons:Training:AugmentedAdversarial:WarmupEpochs: must be at least 0, got -1",
            "Experiments:moons:Training:Fgsm: unknown setting",
        ];
        foreach (var line in expected) Assert.Contains(line, run.Error);
        // Numbers out of range are named with the value given.
        var lines = run.Error.Split('\n');
        foreach (var (key, got) in new[] { ("FgsmRs:StepSize", "got 0"), ("Trades:Weight", "got -1"), ("Llr:Epsilon", "got 0"), ("AugmentedAdversarial:Weight", "got -0.5") })
            Assert.Contains(got, lines.Single(l => l.Contains($"Experiments:moons:Training:{key}:")));
        Assert.False(Directory.Exists(folder.File("runs")));
    }

    [Fact]
    public void Bad_temperatures_and_read_outs_are_refused_naming_their_keys()
    {
        using var folder = new TempFolder();
        var settings = TinyMoons(folder,
            ("Experiments:moons:Training:LipschitzMargin:Temperature", 0),
            ("Experiments:mnist-certified:Training:LipschitzMargin:Temperature", "NaN"),
            ("Experiments:mnist-nonexpansive:Training:LipschitzMargin:Temperature", -4),
            ("Experiments:mnist-dense-certified:Training:GloRo:Temperature", 0),
            ("Experiments:mnist-dense-certified:Training:GloRo:Norm", "inf"),
            ("Experiments:mnist-dense-certified:Training:GloRo:Weight", 1),
            ("Experiments:mnist-dense-certified:Training:GloRoTrades:Weight", -1),
            ("Experiments:mnist-dense-certified:Training:GloRoTrades:WarmupShape", "geometric"),
            ("Experiments:mnist-nonexpansive:Model:ReadOut", "unit-columns"),
            ("Experiments:mnist-certified:Model:ReadOut", "orthonormal"),
            ("Experiments:mnist-certified:Model:ReadOutBound", 10));

        var run = Robustnode.Run(folder, [], settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        string[] expected =
        [
            "Experiments:moons:Training:LipschitzMargin:Temperature: must be positive, got 0",
            "Experiments:mnist-certified:Training:LipschitzMargin:Temperature: expected a number, got 'NaN'",
            "Experiments:mnist-nonexpansive:Training:LipschitzMargin:Temperature: must be positive, got -4",
            "Experiments:mnist-dense-certified:Training:GloRo:Temperature: must be positive, got 0",
            "Experiments:mnist-dense-certified:Training:GloRo:Norm: unknown setting; known: Enabled, Epsilon, WarmupEpochs, WarmupShape, Temperature",
            "Experiments:mnist-dense-certified:Training:GloRo:Weight: unknown setting; known: Enabled, Epsilon, WarmupEpochs, WarmupShape, Temperature",
            "Experiments:mnist-dense-certified:Training:GloRoTrades:Weight: must not be negative, got -1",
            "Experiments:mnist-dense-certified:Training:GloRoTrades:WarmupShape: expected linear or logarithmic, got 'geometric'",
            "Experiments:mnist-nonexpansive:Model:ReadOut: expected spectral, unit-rows or orthonormal, got 'unit-columns'",
            "Experiments:mnist-certified:Model:ReadOutBound: applies to the spectral read-out only; ReadOut = orthonormal keeps",
        ];
        foreach (var line in expected) Assert.Contains(line, run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.False(Directory.Exists(folder.File("runs")));
    }

    [Theory]
    [InlineData("orthonormal", "none", null, true)]
    [InlineData("unit-rows", "None", null, false)]
    [InlineData("spectral", "none", null, false)]
    [InlineData("spectral", "10", 10.0, false)]
    public void A_read_out_bound_of_none_is_the_key_left_out(string readOut, string bound, double? expectedBound, bool orthonormal)
    {
        var json = $$"""{ "Model": { "ReadOut": "{{readOut}}", "ReadOutBound": "{{bound}}" } }""";
        var model = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build().GetSection("Model");

        var settings = ModelSettingsReader.Images(model, new SolverRegistry([]),
            new SolverDefaults("euler", 1, 1e-6, 1e-8, 100_000), CompositionRoot.Engines, EngineCatalog.Auto);

        var image = Assert.IsType<ImageModelSettings>(settings.Match(Succ: m => m, Fail: e => throw new Xunit.Sdk.XunitException(e.ToString())));
        Assert.Equal(expectedBound, image.Model.ReadOutBound);
        Assert.Equal(orthonormal, image.Model.ReadOutOrthonormal);
        Assert.Equal(readOut == "spectral" ? null : 1.0, image.Model.ReadOutRowNorm);
    }

    [Fact]
    public void The_lipschitz_margin_and_gloro_trainers_take_their_temperature_and_form()
    {
        var scale = new InputScale(0.5, 0.25);
        var margin = Assert.IsType<LipschitzMarginObjective>(Objectives.For(
            new TrainerSettings("lipschitz-margin", TrainerKind.LipschitzMargin, 0.5, AttackNorm.Two, WarmupEpochs: 2, Temperature: 16), scale, null));
        Assert.Equal((2.0, 2, 16.0), (margin.Epsilon, margin.WarmupEpochs, margin.Temperature));
        Assert.EndsWith("temperature=16)", margin.Describe());
        var plain = Assert.IsType<LipschitzMarginObjective>(Objectives.For(
            new TrainerSettings("lipschitz-margin", TrainerKind.LipschitzMargin, 0.5, AttackNorm.Two), scale, null));
        Assert.Equal(1.0, plain.Temperature);
        Assert.DoesNotContain("temperature", plain.Describe());
        Assert.False(margin.BottomClass);
        Assert.Equal("lipschitz-margin", margin.Name);
        var gloro = Assert.IsType<LipschitzMarginObjective>(Objectives.For(
            new TrainerSettings("gloro", TrainerKind.GloRo, 0.5, AttackNorm.Two, WarmupEpochs: 1, Temperature: 4), scale, null));
        Assert.Equal((2.0, 1, 4.0, true, "gloro"), (gloro.Epsilon, gloro.WarmupEpochs, gloro.Temperature, gloro.BottomClass, gloro.Name));
        Assert.StartsWith("gloro(epsilon=2", gloro.Describe());
        Assert.Null(gloro.TradesWeight);
        var trades = Assert.IsType<LipschitzMarginObjective>(Objectives.For(
            new TrainerSettings("gloro-trades", TrainerKind.GloRoTrades, 0.5, AttackNorm.Two, 1.5, 1, Temperature: 4), scale, null));
        Assert.Equal((2.0, 1, 4.0, true, 1.5, "gloro-trades"),
            (trades.Epsilon, trades.WarmupEpochs, trades.Temperature, trades.BottomClass, trades.TradesWeight, trades.Name));
        Assert.Equal("gloro-trades(epsilon=2, warmup=1, temperature=4, weight=1.5)", trades.Describe());
        Assert.True(trades.Validate().IsSucc);
        var logarithmic = Assert.IsType<LipschitzMarginObjective>(Objectives.For(
            new TrainerSettings("gloro-trades", TrainerKind.GloRoTrades, 0.5, AttackNorm.Two, 1.5, 15, Temperature: 1, WarmupShape: WarmupShape.Logarithmic), scale, null));
        Assert.Equal((WarmupShape.Logarithmic, WarmupShape.Linear), (logarithmic.WarmupShape, trades.WarmupShape));
        Assert.Equal("gloro-trades(epsilon=2, warmup=15, warmupShape=logarithmic, weight=1.5)", logarithmic.Describe());
        Assert.Contains("warmupShape", (logarithmic with { WarmupShape = (WarmupShape)7 }).Validate().Match(Succ: _ => "", Fail: e => e.ToString()));
        foreach (var bad in new[] { trades with { TradesWeight = double.NaN }, trades with { BottomClass = false } })
            Assert.Contains("tradesWeight", bad.Validate().Match(Succ: _ => "", Fail: e => e.ToString()));
    }

    [Fact]
    public void The_trainers_become_objectives_in_network_units()
    {
        var scale = new InputScale(0.5, 0.25);
        var box = new InputBox(0, 1);
        var fgsm = Assert.IsType<FgsmRsObjective>(Objectives.For(new TrainerSettings("fgsm-rs", TrainerKind.FgsmRs, 0.1, AttackNorm.Two, WarmupEpochs: 2), scale, box));
        Assert.Equal(0.4, fgsm.Epsilon, 12);
        Assert.Equal(0.5, fgsm.Step, 12);
        Assert.Equal(AttackNorm.Two, fgsm.Norm);
        Assert.Equal(new InputBox(-2, 2), fgsm.Box);
        Assert.Equal(2, fgsm.WarmupEpochs);

        var trades = Assert.IsType<TradesObjective>(Objectives.For(new TrainerSettings("trades", TrainerKind.Trades, 0.1, null, 2, Steps: 5, StepSize: 0.05), scale, box));
        Assert.Equal((0.4, 2.0, 5, 0.2, 0.004), (trades.Epsilon, trades.Weight, trades.Steps, trades.Step, trades.StartScale));

        var align = Assert.IsType<GradAlignObjective>(Objectives.For(new TrainerSettings("gradalign", TrainerKind.GradAlign, 0.1, null, 0.3), scale, null));
        Assert.Equal((0.4, 0.3), (align.Epsilon, align.Weight));
        Assert.Null(align.Box);

        var llr = Assert.IsType<LlrObjective>(Objectives.For(new TrainerSettings("llr", TrainerKind.Llr, 0.1, null, 5, Steps: 4, GradientWeight: 2), scale, box));
        Assert.Equal((0.4, 5.0, 2.0, 4, 0.25), (llr.Epsilon, llr.LinearityWeight, llr.GradientWeight, llr.Steps, llr.Step));

        var adversarial = Assert.IsType<AugmentedAdversarialObjective>(Objectives.For(
            new TrainerSettings("augmented-adversarial", TrainerKind.AugmentedAdversarial, 0.1, null, 0.05), scale, box));
        Assert.Equal((0.4, 0.2, 0.5), (adversarial.Epsilon, adversarial.PenaltyWeight, adversarial.Step));
        var unweighted = Assert.IsType<AugmentedAdversarialObjective>(Objectives.For(
            new TrainerSettings("augmented-adversarial", TrainerKind.AugmentedAdversarial, 0.1), scale, box));
        Assert.Equal(0.4, unweighted.PenaltyWeight, 12);
    }

    [Fact]
    public void All_eight_trainers_train_and_are_named_in_the_reports_with_their_times_against_standard_and_pgd()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["train", "--Experiments:moons:Training:Epochs=1"], TinyMoons(folder,
            ("Experiments:moons:Training:FgsmRs:Enabled", true),
            ("Experiments:moons:Training:Trades:Enabled", true),
            ("Experiments:moons:Training:Trades:Steps", 2),
            ("Experiments:moons:Training:GradAlign:Enabled", true),
            ("Experiments:moons:Training:Llr:Enabled", true),
            ("Experiments:moons:Training:AugmentedAdversarial:Enabled", true)));

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var dir = Run(folder, "moons");
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
        string[] names = ["standard", "augmented", "pgd", "fgsm-rs", "trades", "gradalign", "llr", "augmented-adversarial"];
        Assert.Equal(names, report["trainers"]!.AsArray().Select(t => (string)t!["name"]!));
        Assert.StartsWith("gradalign(epsilon=0.15,", (string?)report["trainers"]![5]!["objective"]);
        Assert.StartsWith("llr(", (string?)report["settings"]!["trainer.llr"]);
        Assert.Equal(names.Skip(1), report["timing"]!["overStandard"]!.AsObject().Select(p => p.Key));
        Assert.Equal(names.Where(n => n != "pgd"), report["timing"]!["overPgd"]!.AsObject().Select(p => p.Key));
        foreach (var name in names)
        {
            Assert.True(File.Exists(Path.Combine(dir, "models", name + ".ckpt")), $"no model of {name}");
            Assert.True(File.Exists(Path.Combine(dir, "checkpoints", name + ".history.json")), $"no history of {name}");
        }
        var markdown = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("median time / pgd", markdown);
        Assert.Contains("| augmented-adversarial | pgd2-inf |", markdown);
    }
}
