using LanguageExt;
using RobustNode.Training.Denoising;
using Xunit;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Tests.Denoising;

/// <summary>The denoiser value: what it accepts, and the images, noise and patches it is trained and measured on.</summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class DenoiserTests
{
    private static T Get<T>(Fin<T> value) => value.Match(v => v, e => throw new InvalidOperationException(e.Message));

    [Fact]
    public void A_denoiser_refuses_inputs_that_are_not_grey_image_batches()
    {
        using var scope = NewDisposeScope();
        var d = Get(Denoiser.SoftThreshold(0.1));
        Assert.Contains("expected shape [B, 1, H, W], got [2, 3, 4, 4]", d.Apply(zeros(2, 3, 4, 4)).Match(_ => "", e => e.Message));
        Assert.Contains("expected shape [B, 1, H, W], got [4, 4]", d.Apply(zeros(4, 4)).Match(_ => "", e => e.Message));
        Assert.Contains("expected float32 or float64 images, got Int64", d.Apply(zeros(1, 1, 4, 4, int64)).Match(_ => "", e => e.Message));
        var network = Get(new ResidualCnn(4, 2).Build(1, ScalarType.Float32));
        var typed = Denoiser.FromNetwork("tiny", network);
        Assert.Contains("computes in Float32, the images are Float64", typed.Apply(zeros(1, 1, 4, 4, float64)).Match(_ => "", e => e.Message));
        var shrinking = new Denoiser("crop", x => FinSucc(x.narrow(2, 0, 2)));
        Assert.Contains("output of denoiser 'crop'", shrinking.Apply(zeros(1, 1, 4, 4)).Match(_ => "", e => e.Message));
    }

    [Fact]
    public void Psnr_is_ten_log_of_one_over_the_mean_squared_error()
    {
        using var scope = NewDisposeScope();
        var clean = zeros(2, 1, 4, 4, float64);
        var estimate = clean.clone();
        estimate[0].fill_(0.1);
        var psnr = Psnr.PerImage(estimate, clean);
        Assert.Equal(20.0, psnr[0], 10);
        Assert.True(double.IsPositiveInfinity(psnr[1]));
    }

    [Fact]
    public void Noise_has_the_asked_level_and_repeats_with_its_seed()
    {
        using var scope = NewDisposeScope();
        var clean = full([4, 1, 64, 64], 0.5, float64);
        var noisy = Get(GaussianNoise.Add(clean, 25 / 255.0, seed: 7));
        Assert.Equal(25 / 255.0, (noisy - clean).std().item<double>(), 2);
        Assert.True(noisy.eq(Get(GaussianNoise.Add(clean, 25 / 255.0, seed: 7))).all().item<bool>());
        Assert.False(noisy.eq(Get(GaussianNoise.Add(clean, 25 / 255.0, seed: 8))).all().item<bool>());

        var mixed = Get(GaussianNoise.AddMixed(full([400, 1, 16, 16], 0.5, float64), [15 / 255.0, 25 / 255.0], seed: 3));
        var levels = (mixed - 0.5).flatten(1).std([1L]).data<double>().ToArray();
        Assert.Contains(levels, s => Math.Abs(s - 15 / 255.0) < 0.01);
        Assert.Contains(levels, s => Math.Abs(s - 25 / 255.0) < 0.01);
        Assert.True(GaussianNoise.Add(clean, -1, 0).IsFail);
    }

    [Fact]
    public void Patches_come_from_their_images_and_repeat_with_their_seed()
    {
        using var scope = NewDisposeScope();
        var pixels = Enumerable.Range(0, 20 * 30).Select(i => i / 600.0).ToArray();
        var image = Get(GreyImage.Create("ramp", 20, 30, pixels));
        var patches = Get(PatchSet.Sample("ramp", [image], 8, 5, seed: 2, ScalarType.Float64));
        Assert.Equal([5L, 1, 8, 8], patches.Clean.shape);
        // Each patch is a window of the ramp: its top-left value fixes the rest.
        for (int k = 0; k < 5; k++)
        {
            var p = patches.Clean[k, 0];
            double topLeft = p[0, 0].item<double>();
            Assert.Equal(topLeft + (3 * 30 + 5) / 600.0, p[3, 5].item<double>(), 12);
        }
        Assert.True(patches.Clean.eq(Get(PatchSet.Sample("ramp", [image], 8, 5, seed: 2, ScalarType.Float64)).Clean).all().item<bool>());
        Assert.Contains("ramp is 20×30", PatchSet.Sample("ramp", [image], 21, 1, 0).Match(_ => "", e => e.Message));
    }

    [Fact]
    public void Grey_images_check_their_values_and_crop_around_the_centre()
    {
        Assert.Contains("not in [0, 1]", GreyImage.Create("x", 1, 2, [0.5, 1.5]).Match(_ => "", e => e.Message));
        Assert.Contains("3 grey levels for a 2×2 image", GreyImage.Create("x", 2, 2, [0, 0, 0]).Match(_ => "", e => e.Message));
        var image = Get(GreyImage.Create("g", 4, 6, Enumerable.Range(0, 24).Select(i => i / 24.0).ToArray()));
        var crop = Get(image.CenterCrop(2));
        Assert.Equal([(1 * 6 + 2) / 24.0, (1 * 6 + 3) / 24.0, (2 * 6 + 2) / 24.0, (2 * 6 + 3) / 24.0], crop.Pixels);
        Assert.Contains("smaller than the 5×5 crop", image.CenterCrop(5).Match(_ => "", e => e.Message));
    }
}
