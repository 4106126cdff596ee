using RobustNode.Host.Sweeps;
using Xunit;

namespace RobustNode.Tests.Sweeps;

/// <summary>The seeds and the grid of a sweep, as typed on the command line.</summary>
public class SweepInputTests
{
    private static IReadOnlyList<long> Seeds(string text) => SeedList.Parse(text).Match(s => s, e => throw new Xunit.Sdk.XunitException(string.Join("; ", e.Select(x => x.Message))));

    private static string[] Problems(string text) => SeedList.Parse(text).Match(_ => [], e => e.Select(x => x.Message).ToArray());

    [Fact]
    public void Seeds_are_numbers_and_ranges_in_the_order_given()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], Seeds("1-10"));
        Assert.Equal([1, 2, 5], Seeds("1,2,5"));
        Assert.Equal([7, 1, 2, 3], Seeds(" 7 , 1 - 3 "));
        Assert.Equal([0], Seeds("0"));
    }

    [Theory]
    [InlineData("a", "--seeds: 'a' is not a seed")]
    [InlineData("1,,2", "--seeds: an empty entry")]
    [InlineData("-3", "--seeds: '-3' is not a seed")]
    [InlineData("3-1", "--seeds: '3-1' is an empty range")]
    [InlineData("1-", "--seeds: '1-' is not a range of seeds")]
    [InlineData("1-x", "--seeds: '1-x' is not a range of seeds")]
    [InlineData("1.5", "--seeds: '1.5' is not a seed")]
    [InlineData("1,2,1", "--seeds: seed 1 given twice")]
    [InlineData("1-100000", "--seeds: '1-100000' holds 100000 seeds; a sweep runs at most 1000")]
    [InlineData("99999999999", "--seeds: '99999999999' is not a seed")]
    public void Malformed_seed_lists_are_refused_naming_the_entry(string text, string message)
    {
        Assert.Contains(Problems(text), p => p.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_malformed_seed_entry_is_reported_at_once() => Assert.Equal(2, Problems("a,2,3-1").Length);

    [Fact]
    public void Default_seeds_are_ten_for_point_clouds_and_three_for_images()
    {
        Assert.Equal(10, SeedList.Default(images: false).Count);
        Assert.Equal([1, 2, 3], SeedList.Default(images: true));
    }

    [Fact]
    public void A_grid_is_every_combination_of_its_values()
    {
        var grid = SweepGrid.Parse("Training:Augmented:Weight=0.05,0.1; Training:Epochs=20,40", SweepPlan.SeedSettingsOf(false)).Match(g => g, e => throw new Xunit.Sdk.XunitException(e.Head.Message));
        Assert.Equal(
            ["Training:Augmented:Weight=0.05, Training:Epochs=20", "Training:Augmented:Weight=0.05, Training:Epochs=40",
             "Training:Augmented:Weight=0.1, Training:Epochs=20", "Training:Augmented:Weight=0.1, Training:Epochs=40"],
            grid.Points.Select(p => p.Name));
        Assert.Equal("Training.Augmented.Weight=0.05,Training.Epochs=20", grid.Points[0].Folder);
        Assert.Equal([""], SweepGrid.None.Points.Select(p => p.Name));
    }

    [Theory]
    [InlineData("Training:Augmented:Weight", "is not a grid axis")]
    [InlineData("=1,2", "is not a grid axis")]
    [InlineData("Experiments:moons:Training:Epochs=1,2", "give the key within the experiment")]
    [InlineData("Model:Seed=1,2", "'Model:Seed' is set by the seed of each run")]
    [InlineData("Training::Epochs=1", "an empty part between colons")]
    [InlineData("Training:Epochs=1,", "an empty value")]
    [InlineData("Training:Epochs=1,1", "a value given twice")]
    [InlineData("Data:Images=a/b,c", "cannot hold slashes or colons")]
    [InlineData("Training:Epochs=1;training:epochs=2", "is given twice")]
    [InlineData(";", "no axis")]
    public void Malformed_grids_are_refused(string text, string message)
    {
        var problems = SweepGrid.Parse(text, SweepPlan.SeedSettingsOf(false)).Match(_ => [], e => e.Select(x => x.Message).ToArray());
        Assert.Contains(problems, p => p.StartsWith("--grid: ", StringComparison.Ordinal) && p.Contains(message));
    }

    [Fact]
    public void Data_seed_is_a_grid_key_unless_the_seed_sets_it()
    {
        Assert.True(SweepGrid.Parse("Data:Seed=1,2", SweepPlan.SeedSettingsOf(false)).IsSuccess);
        Assert.True(SweepGrid.Parse("Data:Seed=1,2", SweepPlan.SeedSettingsOf(true)).IsFail);
    }
}
