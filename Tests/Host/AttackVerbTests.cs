using RobustNode.Host.Composition;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>The attack verb with PGD end to end, and every bad value of its options refused before the model is read.</summary>
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
    [InlineData("--epsilon", "-0.1", "--epsilon: expected a positive number, got '-0.1'")]
    [InlineData("--epsilon", "0", "--epsilon: expected a positive number, got '0'")]
    [InlineData("--epsilon", "NaN", "--epsilon: expected a positive number, got 'NaN'")]
    [InlineData("--epsilon", "big", "--epsilon: expected a positive number, got 'big'")]
    [InlineData("--count", "0", "--count: expected a positive integer, got '0'")]
    [InlineData("--count", "2.5", "--count: expected a positive integer, got '2.5'")]
    [InlineData("--count", "99999999999", "--count: expected a positive integer, got '99999999999'")]
    [InlineData("--attack", "cw", "--attack: expected fgsm or pgd, got 'cw'")]
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
