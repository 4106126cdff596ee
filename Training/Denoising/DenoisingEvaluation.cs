using LanguageExt;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>How well a denoiser restored one test image at one noise level.</summary>
/// <param name="Image">The image's name.</param>
/// <param name="NoiseLevel">σ in grey levels of [0, 1].</param>
/// <param name="NoisyPsnr">PSNR of the noisy image, dB.</param>
/// <param name="DenoisedPsnr">PSNR of the denoised image, dB.</param>
public sealed record DenoisingScore(string Image, double NoiseLevel, double NoisyPsnr, double DenoisedPsnr)
{
    /// <summary>What the denoiser gained, dB.</summary>
    public double Gain => DenoisedPsnr - NoisyPsnr;
}

/// <summary>
/// Denoising PSNR on test images: each image gets noise of each level from a seed that depends only on the image's
/// position and the level (so every denoiser sees the same noisy images), is denoised whole, and is compared with the
/// clean image. Images run one at a time in the denoiser's type; nothing is clipped.
/// </summary>
public static class DenoisingEvaluation
{
    /// <summary>The scores of every image at every level, image-major, and the denoised images of the first level when asked.</summary>
    /// <param name="denoiser">D.</param>
    /// <param name="images">Clean test images.</param>
    /// <param name="levels">Noise levels σ (grey levels of [0, 1]).</param>
    /// <param name="seedOf">The noise seed of (image index, level).</param>
    /// <param name="dtype">The type the images are denoised in (the denoiser's).</param>
    public static Fin<IReadOnlyList<DenoisingScore>> Scores(Denoiser denoiser, IReadOnlyList<GreyImage> images, IReadOnlyList<double> levels,
        Func<int, double, long> seedOf, ScalarType dtype) =>
        Run(denoiser, images, levels, seedOf, dtype, keep: false).Map(r => r.Scores);

    /// <summary>Scores and, for every image at every level, the noisy and denoised images (image-major).</summary>
    public static Fin<(IReadOnlyList<DenoisingScore> Scores, IReadOnlyList<(GreyImage Noisy, GreyImage Denoised)> Images)> Run(Denoiser denoiser,
        IReadOnlyList<GreyImage> images, IReadOnlyList<double> levels, Func<int, double, long> seedOf, ScalarType dtype, bool keep = true)
    {
        var scores = new List<DenoisingScore>();
        var kept = new List<(GreyImage, GreyImage)>();
        for (int i = 0; i < images.Count; i++)
            foreach (var level in levels)
            {
                using var scope = NewDisposeScope();
                var clean = images[i].ToTensor(dtype);
                var result =
                    from noisy in GaussianNoise.Add(clean, level, seedOf(i, level))
                    from denoised in denoiser.Apply(noisy)
                    select (noisy, denoised);
                if (result.IsFail) return result.Map(_ => default((IReadOnlyList<DenoisingScore>, IReadOnlyList<(GreyImage, GreyImage)>)));
                var (n, d) = ((Tensor, Tensor))result;
                scores.Add(new DenoisingScore(images[i].Name, level, Psnr.PerImage(n, clean)[0], Psnr.PerImage(d, clean)[0]));
                if (keep) kept.Add((GreyImage.FromTensor(images[i].Name, n), GreyImage.FromTensor(images[i].Name, d)));
            }
        return FinSucc(((IReadOnlyList<DenoisingScore>)scores, (IReadOnlyList<(GreyImage, GreyImage)>)kept));
    }
}
