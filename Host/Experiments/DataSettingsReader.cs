using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Experiments;

/// <summary>The two kinds of data an experiment can have (<c>Data:Kind</c>).</summary>
internal enum DataKind
{
    /// <summary>A generated two-dimensional point cloud.</summary>
    PointCloud,
    /// <summary>Grey-level images from IDX files.</summary>
    Images,
}

/// <summary>
/// Reads <c>Experiments:&lt;name&gt;:Data</c>. Point clouds (<c>Kind = point-cloud</c>, the default): <c>Generator</c>
/// (moons, circles, spirals), <c>Noise</c>, <c>Size</c>, <c>TestFraction</c>, <c>Seed</c>, and the family's own
/// <c>Factor</c> (circles) or <c>Turns</c> (spirals). Images (<c>Kind = images</c>): either <c>Images</c> and
/// <c>Labels</c> (one file pair, split at random) or <c>TrainImages</c>, <c>TrainLabels</c>, <c>TestImages</c>,
/// <c>TestLabels</c>; then <c>TrainCount</c>, <c>TestCount</c>, <c>Seed</c> and <c>Normalisation</c> (unit, standard).
/// Whether the files exist is checked when an experiment runs, not at start-up.
/// </summary>
internal static class DataSettingsReader
{
    private static readonly Dictionary<string, DataKind> Kinds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["point-cloud"] = DataKind.PointCloud, ["images"] = DataKind.Images,
    };

    private static readonly Dictionary<string, ImageNormalisation> Normalisations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["unit"] = ImageNormalisation.Unit, ["standard"] = ImageNormalisation.Standard,
    };

    /// <summary>Most points a point cloud may have.</summary>
    public const int MaxPoints = 10_000_000;

    /// <summary>Most images a data set part may use.</summary>
    public const int MaxImages = 10_000_000;

    /// <summary>The data kind (default point-cloud).</summary>
    public static Validation<Error, DataKind> Kind(IConfigurationSection data) =>
        SettingReaders.Choice(data, "Kind", DataKind.PointCloud, Kinds);

    /// <summary>A point cloud (defaults: moons, noise 0.1, 1000 points, test fraction 0.3, seed 1).</summary>
    public static Validation<Error, DataSettings> PointCloud(IConfigurationSection data)
    {
        var keys = SettingReaders.KnownKeys(data, "Kind", "Generator", "Noise", "Size", "TestFraction", "Seed", "Factor", "Turns");
        var family = SettingReaders.Text(data, "Generator", "moons").Bind(name =>
            RobustNode.Training.Data.PointCloud.Named(name).Match(
                Succ: Success<Error, PointCloud>,
                Fail: _ => Fail<Error, PointCloud>(HostErrors.Configuration($"{data.Path}:Generator",
                    $"unknown point cloud '{name}'; known: {string.Join(", ", RobustNode.Training.Data.PointCloud.Kinds)}"))));
        var generator = (family, SettingReaders.Number(data, "Noise", double.NaN, 0, 10)).Apply((f, noise) => (f, noise)).Bind(x => Specialise(data, x.f, x.noise));
        return (keys, generator,
                SettingReaders.Integer(data, "Size", 1000, 4, MaxPoints),
                SettingReaders.Number(data, "TestFraction", 0.3, 0, 1, exclusiveMin: true, exclusiveMax: true),
                SettingReaders.Long(data, "Seed", 1))
            .Apply((_, g, size, fraction, seed) => (DataSettings)new PointCloudDataSettings(g, size, fraction, seed));
    }

    /// <summary>The family with the configured noise and its own parameter, refusing the parameter of another family.</summary>
    private static Validation<Error, PointCloud> Specialise(IConfigurationSection data, PointCloud family, double noise)
    {
        var errors = new List<Error>();
        if (family is not Circles && data["Factor"] is not null)
            errors.Add(HostErrors.Configuration($"{data.Path}:Factor", $"applies to circles only, the generator is {family.Kind}"));
        if (family is not Spirals && data["Turns"] is not null)
            errors.Add(HostErrors.Configuration($"{data.Path}:Turns", $"applies to spirals only, the generator is {family.Kind}"));
        if (errors.Count > 0) return Fail<Error, PointCloud>(Seq(errors));
        double Noise(double fallback) => double.IsNaN(noise) ? fallback : noise;
        return family switch
        {
            Circles c => SettingReaders.Number(data, "Factor", c.Factor, 0, 1, exclusiveMin: true, exclusiveMax: true)
                .Map(f => (PointCloud)new Circles(Noise(c.Noise), f)),
            Spirals s => SettingReaders.Number(data, "Turns", s.Turns, 0, 100, exclusiveMin: true)
                .Map(t => (PointCloud)new Spirals(Noise(s.Noise), t)),
            Moons m => Success<Error, PointCloud>(new Moons(Noise(m.Noise))),
            _ => Success<Error, PointCloud>(family),
        };
    }

    /// <summary>Images from IDX files (defaults: 8000 training and 1000 test images, seed 1, unit normalisation).</summary>
    public static Validation<Error, DataSettings> Images(IConfigurationSection data, string experiment)
    {
        var keys = SettingReaders.KnownKeys(data, "Kind", "Images", "Labels", "TrainImages", "TrainLabels", "TestImages", "TestLabels",
            "TrainCount", "TestCount", "Seed", "Normalisation");
        var paths = new[] { "Images", "Labels", "TrainImages", "TrainLabels", "TestImages", "TestLabels" }
            .Select(k => SettingReaders.Text(data, k, "")).Sequence();
        string? Path(string key) => string.IsNullOrWhiteSpace(data[key]) || data.GetSection(key).GetChildren().Any() ? null : data[key]!.Trim();
        string K(string key) => $"{data.Path}:{key}";
        Validation<Error, (IdxPair Train, IdxPair? Test)> files;
        bool single = Path("Images") is not null || Path("Labels") is not null;
        bool split = new[] { "TrainImages", "TrainLabels", "TestImages", "TestLabels" }.Any(k => Path(k) is not null);
        if (single && split)
            files = Fail<Error, (IdxPair, IdxPair?)>(HostErrors.Configuration(data.Path,
                "give either Images and Labels (one labelled file pair, split at random) or TrainImages, TrainLabels, TestImages and TestLabels, not both"));
        else
        {
            string[] needed = single || !split ? ["Images", "Labels"] : ["TrainImages", "TrainLabels", "TestImages", "TestLabels"];
            var missing = needed.Where(k => Path(k) is null).Select(k => HostErrors.Configuration(K(k), "missing: the path of an IDX file (raw or .gz)")).ToList();
            files = missing.Count > 0
                ? Fail<Error, (IdxPair, IdxPair?)>(Seq(missing))
                : Success<Error, (IdxPair, IdxPair?)>(single || !split
                    ? (new IdxPair(Path("Images")!, Path("Labels")!, K("Images"), K("Labels")), null)
                    : (new IdxPair(Path("TrainImages")!, Path("TrainLabels")!, K("TrainImages"), K("TrainLabels")),
                       new IdxPair(Path("TestImages")!, Path("TestLabels")!, K("TestImages"), K("TestLabels"))));
        }
        return ((keys, paths).Apply((_, _) => unit), files,
                SettingReaders.Integer(data, "TrainCount", 8000, 1, MaxImages),
                SettingReaders.Integer(data, "TestCount", 1000, 1, MaxImages),
                SettingReaders.Long(data, "Seed", 1),
                SettingReaders.Choice(data, "Normalisation", ImageNormalisation.Unit, Normalisations))
            .Apply((_, f, train, test, seed, normalisation) => (DataSettings)new ImageDataSettings(experiment, data.Path, f.Train, f.Test, train, test, seed, normalisation));
    }
}
