using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.Images;
using RobustNode.Host.Runs;
using RobustNode.Training.Denoising;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Denoising;

/// <summary>
/// The images of <c>Denoising:Data</c>, loaded: the clean training patches (natural images and Fashion-MNIST), the
/// held-out natural test images (centre crops) and the Fashion-MNIST test images. Every file that cannot be used is
/// reported at once, each naming its key and path.
/// </summary>
internal sealed record DenoisingData(PatchSet Patches, IReadOnlyList<GreyImage> TestImages, IReadOnlyList<GreyImage> FashionTest)
{
    private const string Key = DenoisingSettingsReader.Section + ":Data";

    /// <summary>Loads the training patches (in <paramref name="dtype"/>) and the test images.</summary>
    public static Validation<Error, DenoisingData> Load(DenoisingDataSettings s, ScalarType dtype)
    {
        var natural = ReadAll(s.Folder, s.TrainImages, $"{Key}:TrainImages");
        var fashion = s.FashionMnist is null ? Success<Error, IReadOnlyList<GreyImage>>([]) : Fashion(s.FashionMnist, s.FashionMnistCount, $"{Key}:FashionMnist");
        var test = ReadAll(s.Folder, s.TestImages, $"{Key}:TestImages").Bind(images => images
            .Select(i => s.TestCrop == 0 ? Success<Error, GreyImage>(i)
                : i.CenterCrop(s.TestCrop).Match(Succ: Success<Error, GreyImage>, Fail: e => Fail<Error, GreyImage>(HostErrors.Configuration($"{Key}:TestCrop", e.Message))))
            .Sequence().Map(list => (IReadOnlyList<GreyImage>)list.ToArray()));
        var fashionTest = s.FashionMnistTest is null ? Success<Error, IReadOnlyList<GreyImage>>([])
            : Fashion(s.FashionMnistTest, s.FashionMnistTestCount, $"{Key}:FashionMnistTest");
        var patches = (natural, fashion).Apply((n, f) => (n, f)).Bind(images => Cut(s, images.n, images.f, dtype));
        return (patches, test, fashionTest).Apply((p, t, ft) => new DenoisingData(p, t, ft));
    }

    /// <summary>Natural images by name or path, every unreadable one reported.</summary>
    public static Validation<Error, IReadOnlyList<GreyImage>> ReadAll(string folder, IReadOnlyList<string> names, string key) =>
        names.Select(n => NaturalImages.Resolve(folder, n, key).Bind(path => GreyImageFile.Read(path, Path.GetFileNameWithoutExtension(path))))
            .Sequence().Map(list => (IReadOnlyList<GreyImage>)list.ToArray());

    /// <summary>The first <paramref name="count"/> images of a Fashion-MNIST IDX image file.</summary>
    private static Validation<Error, IReadOnlyList<GreyImage>> Fashion(string path, int count, string key) =>
        ExperimentData.ReadIdx(path, key).Bind(idx =>
        {
            if (idx.Dimensions.Length != 3)
                return Fail<Error, IReadOnlyList<GreyImage>>(HostErrors.Configuration(key, $"'{path}': expected images [n, height, width], got [{string.Join(", ", idx.Dimensions)}]"));
            if (idx.Count < count)
                return Fail<Error, IReadOnlyList<GreyImage>>(HostErrors.Configuration(key, $"'{path}' holds {idx.Count} images, {count} are asked for"));
            int h = idx.Dimensions[1], w = idx.Dimensions[2];
            var images = new List<GreyImage>();
            for (int i = 0; i < count; i++)
            {
                var pixels = new double[h * w];
                for (int j = 0; j < pixels.Length; j++) pixels[j] = idx.Values[(long)i * h * w + j] / 255.0;
                var image = GreyImage.Create($"fashion-mnist[{i}]", h, w, pixels);
                if (image.IsFail) return Fail<Error, IReadOnlyList<GreyImage>>(HostErrors.Configuration(key, $"'{path}': image {i}: grey levels outside 0…255"));
                images.Add((GreyImage)image);
            }
            return Success<Error, IReadOnlyList<GreyImage>>(images);
        });

    private static Validation<Error, PatchSet> Cut(DenoisingDataSettings s, IReadOnlyList<GreyImage> natural, IReadOnlyList<GreyImage> fashion, ScalarType dtype)
    {
        var parts = new List<Fin<PatchSet>>();
        if (natural.Count > 0)
            parts.Add(PatchSet.Sample(FormattableString.Invariant($"natural({string.Join(",", natural.Select(i => i.Name))}; patch={s.PatchSize}, perImage={s.PatchesPerImage}, seed={s.Seed})"),
                natural, s.PatchSize, s.PatchesPerImage, s.Seed, dtype));
        if (fashion.Count > 0)
            parts.Add(PatchSet.Sample(FormattableString.Invariant($"fashion-mnist(first {fashion.Count} of {Path.GetFileName(s.FashionMnist)}; patch={s.PatchSize})"),
                fashion, s.PatchSize, 1, s.Seed + 1, dtype));
        var joined = parts.Skip(1).Aggregate(parts[0], (all, next) => all.Bind(a => next.Bind(a.Concat)));
        return joined.Match(Succ: Success<Error, PatchSet>, Fail: e => Fail<Error, PatchSet>(HostErrors.Configuration(Key, e.Message)));
    }

    /// <summary>The seed stream of the test noise.</summary>
    private const long TestNoise = 7;

    /// <summary>The noise seed of test image <paramref name="index"/> at a noise level (fixed, so every denoiser sees the same noisy images).</summary>
    public static long TestNoiseSeed(long seed, int index, double level) =>
        Training.Seeds.Derive(seed, TestNoise, index, (long)Math.Round(level * 255 * 1000, MidpointRounding.AwayFromZero));

    internal static string Level(double level) => level.ToString("G4", CultureInfo.InvariantCulture);
}
