using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Data;

/// <summary>
/// Random translation of training images: every image moves by a whole-pixel offset in [−s, s]², uncovered pixels take
/// the fill value, every offset occurs, the draw is fixed by the seed; training with it is reproducible, resumes
/// bit-identically and gives the same run on both engines; bad settings are named.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class RandomShiftTests
{
    private const int Side = 6;
    private readonly ManagedEngine<double> _managed = new();

    public RandomShiftTests() => Initialise();

    /// <summary>Images [n, 1, 6, 6] with distinct values in (0.1, 1), so that an offset is recognised by its pixels.</summary>
    private static Tensor Images(int count, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return (0.1 + 0.9 * rand([count, 1, Side, Side], ScalarType.Float64, generator: generator));
    }

    /// <summary>The offsets (dy, dx) by which <paramref name="moved"/> is <paramref name="image"/> translated, uncovered pixels equal to fill.</summary>
    private static List<(int Dy, int Dx)> Offsets(double[,] image, double[,] moved, int s, double fill)
    {
        var found = new List<(int, int)>();
        for (int dy = -s; dy <= s; dy++)
            for (int dx = -s; dx <= s; dx++)
            {
                bool match = true;
                for (int r = 0; r < Side && match; r++)
                    for (int c = 0; c < Side && match; c++)
                    {
                        int sr = r - dy, sc = c - dx;
                        double expected = sr is >= 0 and < Side && sc is >= 0 and < Side ? image[sr, sc] : fill;
                        match = moved[r, c] == expected;
                    }
                if (match) found.Add((dy, dx));
            }
        return found;
    }

    private static double[,] Plane(Tensor images, int i)
    {
        var values = images[i, 0].contiguous().data<double>().ToArray();
        var plane = new double[Side, Side];
        Buffer.BlockCopy(values, 0, plane, 0, values.Length * sizeof(double));
        return plane;
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, -0.42)]
    public void Every_image_moves_by_one_whole_pixel_offset_within_the_bound_and_every_offset_occurs(int s, double fill)
    {
        using var scope = NewDisposeScope();
        var images = Images(400, 3);
        var shift = Ok(new RandomShift(s, 1, Side, Side, fill).Validate());
        var moved = shift.Apply(images, seed: 11);
        Assert.Equal(images.shape, moved.shape);
        var seen = new HashSet<(int, int)>();
        for (int i = 0; i < 400; i++)
        {
            var offsets = Offsets(Plane(images, i), Plane(moved, i), s, fill);
            Assert.True(offsets.Count == 1, $"image {i}: {offsets.Count} offsets explain it");
            seen.Add(offsets[0]);
        }
        Assert.Equal((2 * s + 1) * (2 * s + 1), seen.Count);
    }

    [Fact]
    public void Images_seen_as_vectors_of_pixels_move_as_images_and_the_seed_fixes_the_draw()
    {
        using var scope = NewDisposeScope();
        var images = Images(20, 4);
        var shift = new RandomShift(2, 1, Side, Side);
        var moved = shift.Apply(images, seed: 5);
        Assert.True(BitIdentical(moved.reshape(20, Side * Side), shift.Apply(images.reshape(20, Side * Side), seed: 5)));
        Assert.True(BitIdentical(moved, shift.Apply(images, seed: 5)));
        Assert.False(BitIdentical(moved, shift.Apply(images, seed: 6)));
        Assert.True(BitIdentical(images, new RandomShift(0, 1, Side, Side).Apply(images, seed: 5)));
        Assert.True(shift.Fits([1, Side, Side]) && shift.Fits([Side * Side]));
        Assert.False(shift.Fits([2]) || shift.Fits([Side, Side]));
    }

    [Fact]
    public void Bad_shifts_are_named()
    {
        Assert.Contains("training.randomShift: the largest offset must be at least 0 pixels, got -1", Failure(new RandomShift(-1, 1, 28, 28).Validate()).Message);
        Assert.Contains("an offset of 28 pixels moves a 28×40 image out of its frame", Failure(new RandomShift(28, 1, 28, 40).Validate()).Message);
        Assert.Contains("the fill value must be finite", Failure(new RandomShift(2, 1, 28, 28, double.NaN).Validate()).Message);
        Assert.Contains("images must have a positive shape", Failure(new RandomShift(2, 0, 28, 28).Validate()).Message);
    }

    // Two classes of 6×6 images a dense network sees as 36 pixels: a bright top half or a bright bottom half.
    private static Dataset Halves(int count, long seed)
    {
        using var scope = NewDisposeScope();
        var labels = arange(count, ScalarType.Int64) % 2;
        var images = 0.1 * Images(count, seed);
        var rows = arange(Side, ScalarType.Float64).reshape(1, 1, Side, 1);
        var top = (rows < Side / 2).to(ScalarType.Float64);
        var bright = where(labels.reshape(count, 1, 1, 1) == 0, top, 1 - top);
        var x = (images + 0.8 * bright).reshape(count, Side * Side);
        return Ok(Dataset.Create(x.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), 2, "halves"));
    }

    private static readonly PointCloudModel Dense = new(Dim: 36, Layers: 2, Inputs: 36);

    private static TrainingOptions Shifted(int epochs = 4) =>
        new(new StandardObjective(), new Adam(0.01), Epochs: epochs, BatchSize: 16, Seed: 7) { Shift = new RandomShift(1, 1, Side, Side) };

    [Fact]
    public void Training_on_shifted_images_is_reproducible_resumes_bit_identically_and_is_the_same_on_both_engines()
    {
        using var torchScope = NewDisposeScope();
        using var managedScope = _managed.OpenScope();
        var data = Halves(48, 2);
        var options = Shifted();
        var (torchLosses, torchAccuracies, torchParameters) = Train(TorchEngine.Instance, data, options);
        var (againLosses, _, againParameters) = Train(TorchEngine.Instance, data, options);
        Assert.Equal(torchLosses, againLosses);
        Assert.True(torchParameters.Zip(againParameters).All(p => p.Item1.SequenceEqual(p.Item2)), "the same options train the same parameters");
        var (managedLosses, managedAccuracies, _) = Train(_managed, data, options);
        Assert.Equal(torchAccuracies, managedAccuracies);
        Assert.All(torchLosses.Zip(managedLosses), l => Assert.True(Math.Abs(l.Item1 - l.Item2) <= 1e-9 * Math.Max(1, l.Item1), $"loss {l.Item1} on torch, {l.Item2} managed"));
        var (unshiftedLosses, _, _) = Train(TorchEngine.Instance, data, options with { Shift = null });
        Assert.NotEqual(torchLosses, unshiftedLosses);

        ResumesBitIdentically(TorchEngine.Instance, Dense, 5, data, options);
        ResumesBitIdentically(_managed, Dense, 5, data, options);

        Assert.Contains(new KeyValuePair<string, string>("training.randomShift", "±1 px, fill 0"), options.Describe());
        Assert.DoesNotContain((options with { Shift = null }).Describe(), kv => kv.Key == "training.randomShift");
        Assert.DoesNotContain((options with { Shift = new RandomShift(0, 1, Side, Side) }).Describe(), kv => kv.Key == "training.randomShift");
    }

    [Fact]
    public void A_shift_that_does_not_describe_the_data_is_named()
    {
        using var torchScope = NewDisposeScope();
        var state = Ok(Trainer.Start(Ok(Dense.Build(TorchEngine.Instance, 5)), Shifted()));
        var wrong = Shifted() with { Shift = new RandomShift(1, 1, 5, 5) };
        var error = Failure(Trainer.RunEpoch(state, Halves(16, 2), wrong));
        Assert.Contains("training.randomShift: moves images of [1, 5, 5], but the data set 'halves' has samples of shape [36]", error.Message);
        Assert.Equal(0, state.Epoch);
    }

    private static (double[] Losses, double[] Accuracies, double[][] Parameters) Train<T>(IEngine<T> engine, Dataset data, TrainingOptions options)
    {
        var state = Ok(Trainer.Start(Ok(Dense.Build(engine, 5)), options));
        var history = Ok(Trainer.Run(state, data, options)).Epochs;
        return (history.Select(m => m.Loss).ToArray(), history.Select(m => m.TrainAccuracy).ToArray(), state.Parameters.Select(engine.ToArray).ToArray());
    }
}
