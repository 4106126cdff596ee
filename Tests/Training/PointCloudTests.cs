using RobustNode.Training;
using RobustNode.Training.Data;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class PointCloudTests
{
    public PointCloudTests() => Initialise();

    public static TheoryData<string> Kinds => new() { "moons", "circles", "spirals" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_seed_determines_the_cloud(string kind)
    {
        var family = Ok(PointCloud.Named(kind));
        var a = Ok(family.Generate(101, 7));
        var b = Ok(family.Generate(101, 7));
        var c = Ok(family.Generate(101, 8));
        Assert.True(BitIdentical(a.X, b.X) && BitIdentical(a.Labels, b.Labels));
        Assert.False(BitIdentical(a.X, c.X));
        Assert.Equal([101L, 2L], a.X.shape);
        Assert.Equal(ScalarType.Float64, a.X.dtype);
        Assert.Equal(ScalarType.Int64, a.Labels.dtype);
        Assert.Equal(2, a.Classes);
        Assert.Equal(51, a.Labels.eq(0).sum().item<long>());
        Assert.Equal(50, a.Labels.eq(1).sum().item<long>());
        Assert.StartsWith(kind + "(", a.Name);
        Assert.Contains("seed=7", a.Name);
    }

    [Fact]
    public void Noise_free_clouds_lie_on_their_curves()
    {
        var circles = Ok(new Circles(Noise: 0, Factor: 0.4).Generate(200, 1));
        var radius = circles.X.square().sum(1).sqrt();
        var expected = where(circles.Labels.eq(0), tensor(1.0), tensor(0.4));
        Assert.True(MaxAbsDifference(radius, expected) < 1e-12);

        var moons = Ok(new Moons(Noise: 0).Generate(200, 1));
        // Class 0: (cos θ − ½, sin θ − ¼), so |x − (−½, −¼)| = 1; class 1 mirrored about (0, 0).
        var centre = where(moons.Labels.eq(0).unsqueeze(1), tensor(new[] { -0.5, -0.25 }), tensor(new[] { 0.5, 0.25 }));
        Assert.True(MaxAbsDifference((moons.X - centre).square().sum(1).sqrt(), ones(200, dtype: ScalarType.Float64)) < 1e-12);

        var spirals = Ok(new Spirals(Noise: 0, Turns: 2).Generate(200, 1));
        var r = spirals.X.square().sum(1).sqrt();
        Assert.True(r.min().item<double>() >= 0.15 - 1e-12 && r.max().item<double>() <= 1 + 1e-12);
    }

    [Fact]
    public void Invalid_clouds_report_every_problem()
    {
        var error = Failure(new Circles(Noise: -1, Factor: 2).Generate(1, 0));
        Assert.Contains("noise", error.Message);
        Assert.Contains("factor", error.Message);
        Assert.Contains("size", error.Message);
        Assert.Equal(TrainingErrors.InvalidConfigurationCode, error.Code);
        Assert.Contains("known: moons, circles, spirals", Failure(PointCloud.Named("swiss-roll")).Message);
        Assert.Contains("turns", Failure(new Spirals(Turns: 0).Generate(10, 0)).Message);
    }

    [Fact]
    public void A_split_is_a_seeded_partition()
    {
        var data = Ok(new Moons().Generate(100, 3));
        var split = Ok(data.Split(0.25, 9));
        var again = Ok(data.Split(0.25, 9));
        var other = Ok(data.Split(0.25, 10));
        Assert.Equal(75, split.Train.Count);
        Assert.Equal(25, split.Test.Count);
        Assert.True(BitIdentical(split.Test.X, again.Test.X));
        Assert.False(BitIdentical(split.Test.X, other.Test.X));
        var rows = cat([split.Train.X, split.Test.X], 0);
        // Every sample exactly once: the sorted first coordinates agree.
        Assert.True(BitIdentical(rows[.., 0].sort().Values, data.X[.., 0].sort().Values));
        Assert.Contains("/train(0.75, seed=9)", split.Train.Name);
        Assert.Contains("/test(0.25, seed=9)", split.Test.Name);
        Assert.Contains("testFraction", Failure(data.Split(1.0, 1)).Message);
        Assert.Contains("testFraction", Failure(data.Split(0, 1)).Message);
    }

    [Fact]
    public void Mini_batches_cover_the_data_once_in_a_seeded_order()
    {
        var data = Ok(new Moons().Generate(103, 3));
        var batches = data.Batches(25, 4).ToList();
        Assert.Equal([25L, 25, 25, 25, 3], batches.Select(b => b.X.shape[0]));
        Assert.Equal(Enumerable.Range(0, 5), batches.Select(b => b.Index));
        var rows = cat(batches.Select(b => b.X).ToArray(), 0);
        Assert.True(BitIdentical(rows[.., 0].sort().Values, data.X[.., 0].sort().Values));
        var again = cat(data.Batches(25, 4).Select(b => b.X).ToArray(), 0);
        var reshuffled = cat(data.Batches(25, 5).Select(b => b.X).ToArray(), 0);
        Assert.True(BitIdentical(rows, again));
        Assert.False(BitIdentical(rows, reshuffled));
        Assert.True(BitIdentical(cat(data.Batches(25, null).Select(b => b.X).ToArray(), 0), data.X));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Batches(0, 1));
    }

    [Fact]
    public void Data_sets_check_shapes_and_labels_before_torch_sees_them()
    {
        var x = zeros(4, 2, dtype: ScalarType.Float64);
        Assert.Contains("4 inputs but 3 labels", Failure(Dataset.Create(x, zeros(3, dtype: ScalarType.Int64), 2, "d")).Message);
        Assert.Contains("labels must lie in 0..1", Failure(Dataset.Create(x, tensor(new long[] { 0, 1, 2, 1 }), 2, "d")).Message);
        Assert.Contains("int64", Failure(Dataset.Create(x, zeros(4, dtype: ScalarType.Int32), 2, "d")).Message);
        Assert.Contains("NaN", Failure(Dataset.Create(full(4, 2, double.NaN, dtype: ScalarType.Float64), zeros(4, dtype: ScalarType.Int64), 2, "d")).Message);
        Assert.Contains("at least one feature", Failure(Dataset.Create(zeros(4, dtype: ScalarType.Float64), zeros(4, dtype: ScalarType.Int64), 2, "d")).Message);
    }
}
