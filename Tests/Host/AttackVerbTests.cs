using RobustNode.Host.Composition;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>The attack verb with PGD and the new attacks end to end, evaluate with the new attacks, and every bad value of the options refused before the model is read.</summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public sealed class AttackVerbTests(TinyModel trained) : IClassFixture<TinyModel>
{
    [Fact]
    public void Attack_with_pgd_draws_the_arrows_of_the_attacked_test_points()
    {
        var folder = trained.Folder;
        var png = folder.File($"pgd-{Guid.NewGuid():N}.png");
        var run = Robustnode.Run(folder, ["attack", "--model", trained.Model, "--attack", "pgd", "--epsilon", "0.2", "--count", "10", "--out", png], trained.Settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        AssertPng(png);
        Assert.Contains(run.Log, l => l.Contains("Attacked 10 test samples") && l.Contains("with PGD ε = 0.2"));
    }

    [Theory]
    [InlineData("square")]
    [InlineData("apgd-dlr")]
    [InlineData("all")]
    public void Attack_draws_the_examples_of_the_new_attacks_and_of_the_whole_suite(string attack)
    {
        var folder = trained.Folder;
        var png = folder.File($"{attack}-{Guid.NewGuid():N}.png");
        var run = Robustnode.Run(folder, ["attack", "--model", trained.Model, "--attack", attack, "--epsilon", "0.3", "--count", "8", "--out", png], trained.Settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        AssertPng(png);
    }

    [Fact]
    public void Evaluate_with_the_new_attacks_writes_their_curves_the_worst_case_and_the_sanity_checks()
    {
        var folder = trained.Folder;
        var json = folder.File($"suite-{Guid.NewGuid():N}.json");
        var run = Robustnode.Run(folder, ["evaluate", "--model", trained.Model, "--attack", "apgd-ce,apgd-dlr,square", "--epsilons", "0,0.2", "--out", json], trained.Settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var file = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal(["apgd-ce-inf", "apgd-dlr-inf", "square-inf", "worst-case-inf", "certified-inf"], file["robustness"]!.AsArray().Select(c => (string)c!["attack"]!));
        Assert.Equal(["apgd-ce-inf", "apgd-dlr-inf", "square-inf"], file["attacks"]!.AsArray().Select(a => (string)a!["name"]!));
        Assert.Contains(file["sanity"]!["checks"]!.AsArray(), c => (string?)c!["check"] == "covering-radius");
        Assert.Contains("| worst-case-inf |", run.Out);
        Assert.Contains("## Sanity checks", run.Out);
    }

    [Fact]
    public void Evaluate_refuses_an_attack_the_experiment_switches_off_naming_its_key()
    {
        var folder = trained.Folder;
        var run = Robustnode.Run(folder, ["evaluate", "--model", trained.Model, "--attack", "square", "--Experiments:moons:Evaluation:Square:Enabled=false"], trained.Settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("--attack: the experiment 'moons' disables square (Evaluation:Square:Enabled)", run.Error);
    }

    [Theory]
    [InlineData("--epsilon", "-0.1", "--epsilon: expected a positive number, got '-0.1'")]
    [InlineData("--epsilon", "0", "--epsilon: expected a positive number, got '0'")]
    [InlineData("--epsilon", "NaN", "--epsilon: expected a positive number, got 'NaN'")]
    [InlineData("--epsilon", "big", "--epsilon: expected a positive number, got 'big'")]
    [InlineData("--count", "0", "--count: expected a positive integer, got '0'")]
    [InlineData("--count", "2.5", "--count: expected a positive integer, got '2.5'")]
    [InlineData("--count", "99999999999", "--count: expected a positive integer, got '99999999999'")]
    [InlineData("--attack", "cw", "--attack: expected fgsm, pgd, apgd-ce, apgd-dlr, square or all, got 'cw'")]
    [InlineData("--out", "", "--out: needs a value")]
    public void A_bad_option_value_is_refused_naming_the_option(string option, string value, string message)
    {
        var folder = trained.Folder;
        var run = Robustnode.Run(folder, ["attack", "--model", trained.Model, $"{option}={value}"], trained.Settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains(message, run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void Unknown_and_repeated_options_and_a_missing_model_are_refused()
    {
        var folder = trained.Folder;
        var unknown = Robustnode.Run(folder, ["attack", "--model", trained.Model, "--radius", "0.1"], trained.Settings);
        Assert.Equal(ExitCodes.InvalidInput, unknown.ExitCode);
        Assert.Contains("--radius: unknown option of 'attack'", unknown.Error);

        var twice = Robustnode.Run(folder, ["attack", "--model", trained.Model, "--count", "2", "--count", "3"], trained.Settings);
        Assert.Equal(ExitCodes.InvalidInput, twice.ExitCode);
        Assert.Contains("--count: given twice", twice.Error);

        var missing = Robustnode.Run(folder, ["attack"], trained.Settings);
        Assert.Equal(ExitCodes.InvalidInput, missing.ExitCode);
        Assert.Contains("--model: required by 'attack'", missing.Error);

        var absent = Robustnode.Run(folder, ["attack", "--model", folder.File("nowhere.ckpt")], trained.Settings);
        Assert.Equal(ExitCodes.InvalidInput, absent.ExitCode);
        Assert.Contains("nowhere.ckpt: cannot read the checkpoint: no such file", absent.Error);
    }
}
