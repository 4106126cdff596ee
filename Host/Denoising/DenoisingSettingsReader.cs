using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.Images;
using RobustNode.Training.Denoising;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Denoising;

/// <summary>
/// Reads the <c>Denoising</c> section into <see cref="DenoisingSettings"/>, reporting every problem at once with its key.
/// <c>Data</c>: <c>Folder</c>, <c>TrainImages</c>, <c>TestImages</c>, <c>FashionMnist</c>, <c>FashionMnistCount</c>,
/// <c>FashionMnistTest</c>, <c>FashionMnistTestCount</c>, <c>PatchSize</c>, <c>PatchesPerImage</c>, <c>TestCrop</c>,
/// <c>TestNoiseLevels</c>, <c>Seed</c>. <c>Denoisers:&lt;name&gt;</c>: <c>Architecture</c> (gradient-flow: <c>Steps</c>, <c>Filters</c>,
/// <c>Kernel</c>, <c>StepSize</c>, <c>Theta</c>, <c>Activation</c>, <c>Channels</c>, <c>GramBound</c>; dncnn: <c>Width</c>,
/// <c>Depth</c>, <c>Kernel</c>), <c>NoiseLevels</c>, <c>DType</c>, <c>Seed</c>, <c>Threads</c> and <c>Training</c>
/// (<c>Optimizer</c>, <c>Schedule</c> as for experiments, <c>Epochs</c>, <c>BatchSize</c>, <c>Seed</c>).
/// </summary>
internal static class DenoisingSettingsReader
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Denoising";

    /// <summary>The default Fashion-MNIST files (Debian's dataset-fashion-mnist).</summary>
    public const string FashionMnistTrain = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

    /// <inheritdoc cref="FashionMnistTrain"/>
    public const string FashionMnistTestFile = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

    private static readonly Dictionary<string, ScalarType> DTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["float32"] = ScalarType.Float32, ["float64"] = ScalarType.Float64,
    };

    /// <summary>
    /// The architectures' own keys and readers: a new architecture adds one line here (its keys beside
    /// <c>Architecture</c> in a denoiser's section) and one in <see cref="DenoiserArchitectures"/>.
    /// </summary>
    private static readonly Dictionary<string, (string[] Keys, Func<IConfigurationSection, Validation<Error, IDenoiserArchitecture>> Read)> Architectures =
        new(StringComparer.OrdinalIgnoreCase)
        {
            [ResidualCnn.ArchitectureName] = (["Width", "Depth", "Kernel"], ReadResidualCnn),
            [GradientFlowDenoiser.ArchitectureName] = (["Steps", "Filters", "Kernel", "StepSize", "Theta", "Activation", "Channels", "GramBound"], ReadGradientFlow),
        };

    private static readonly string[] CommonKeys = ["Architecture", "NoiseLevels", "DType", "Seed", "Threads", "Training"];

    /// <summary>Reads the section; <paramref name="torchThreads"/> is the default of a denoiser's <c>Threads</c>.</summary>
    public static Validation<Error, DenoisingSettings> Read(IConfiguration configuration, int torchThreads)
    {
        var section = configuration.GetSection(Section);
        var keys = SettingReaders.KnownKeys(section, "Data", "Denoisers");
        var denoisers = section.GetSection("Denoisers").GetChildren().Select(d => Denoiser(d, torchThreads)).Sequence()
            .Map(list => (IReadOnlyList<DenoiserSettings>)list.ToArray());
        return (keys, Data(section.GetSection("Data")), denoisers).Apply((_, data, list) => new DenoisingSettings(data, list));
    }

    private static Validation<Error, DenoisingDataSettings> Data(IConfigurationSection data)
    {
        var keys = SettingReaders.KnownKeys(data, "Folder", "TrainImages", "TestImages", "FashionMnist", "FashionMnistCount", "FashionMnistTest",
            "FashionMnistTestCount", "PatchSize", "PatchesPerImage", "TestCrop", "TestNoiseLevels", "Seed");
        var files = (SettingReaders.Text(data, "Folder", NaturalImages.DefaultFolder),
                Texts(data, "TrainImages", NaturalImages.Training, allowEmpty: true),
                Texts(data, "TestImages", NaturalImages.Test, allowEmpty: false),
                OptionalText(data, "FashionMnist", FashionMnistTrain),
                SettingReaders.Integer(data, "FashionMnistCount", 2000, 0),
                OptionalText(data, "FashionMnistTest", FashionMnistTestFile),
                SettingReaders.Integer(data, "FashionMnistTestCount", 200, 0))
            .Apply((folder, train, test, fashion, fashionCount, fashionTest, fashionTestCount) => (folder, train, test, fashion, fashionCount, fashionTest, fashionTestCount));
        var patches = (SettingReaders.Integer(data, "PatchSize", 28, 4),
                SettingReaders.Integer(data, "PatchesPerImage", 300, 1),
                SettingReaders.Integer(data, "TestCrop", 256, 0),
                Levels(data, "TestNoiseLevels", [15, 25]),
                SettingReaders.Long(data, "Seed", 1))
            .Apply((size, perImage, crop, levels, seed) => (size, perImage, crop, levels, seed));
        var settings = (keys, files, patches).Apply((_, f, p) => new DenoisingDataSettings(f.folder, f.train, f.test,
            f.fashionCount > 0 ? f.fashion : null, f.fashion is null ? 0 : f.fashionCount,
            f.fashionTestCount > 0 ? f.fashionTest : null, f.fashionTest is null ? 0 : f.fashionTestCount,
            p.size, p.perImage, p.crop, p.levels, p.seed));
        return settings.Bind(s => s.FashionMnist is not null && s.PatchSize > 28
            ? Fail<Error, DenoisingDataSettings>(HostErrors.Configuration($"{data.Path}:PatchSize",
                $"must be at most 28 while Fashion-MNIST's 28×28 images join the patches, got {s.PatchSize} (or set FashionMnistCount to 0)"))
            : s.TrainImages.Count == 0 && s.FashionMnist is null
                ? Fail<Error, DenoisingDataSettings>(HostErrors.Configuration($"{data.Path}:TrainImages", "no training images: name natural images or use Fashion-MNIST"))
                : Success<Error, DenoisingDataSettings>(s));
    }

    private static Validation<Error, DenoiserSettings> Denoiser(IConfigurationSection denoiser, int torchThreads)
    {
        var name = SettingReaders.Text(denoiser, "Architecture", ResidualCnn.ArchitectureName);
        var architecture = name.Bind(n => Architectures.TryGetValue(n, out var a)
            ? (SettingReaders.KnownKeys(denoiser, [.. CommonKeys, .. a.Keys]), a.Read(denoiser)).Apply((_, arch) => arch)
            : Fail<Error, IDenoiserArchitecture>(HostErrors.Configuration($"{denoiser.Path}:Architecture",
                $"expected {SettingReaders.Alternatives(Architectures.Keys)}, got '{n}'")));
        if (name.IsFail) architecture = (name, SettingReaders.KnownKeys(denoiser, [.. CommonKeys, .. Architectures.Values.SelectMany(a => a.Keys)]))
            .Apply((_, _) => default(IDenoiserArchitecture)!);
        var training = denoiser.GetSection("Training");
        var trainingKeys = SettingReaders.KnownKeys(training, "Optimizer", "Schedule", "Epochs", "BatchSize", "Seed");
        var epochs = SettingReaders.Integer(training, "Epochs", 20, 1);
        var options = (trainingKeys, TrainingSettingsReader.Optimizer(training.GetSection("Optimizer")),
                TrainingSettingsReader.Schedule(training.GetSection("Schedule"), epochs.Match(Succ: e => e, Fail: _ => 1)),
                epochs, SettingReaders.Integer(training, "BatchSize", 32, 1), SettingReaders.Long(training, "Seed", 4),
                Levels(denoiser, "NoiseLevels", [25]))
            .Apply((_, optimizer, schedule, e, batch, seed, levels) =>
                new DenoiserTrainingOptions(optimizer, levels.Select(l => l / 255.0).ToArray(), e, batch, seed) { Schedule = schedule });
        return (architecture, SettingReaders.Choice(denoiser, "DType", ScalarType.Float32, DTypes), SettingReaders.Long(denoiser, "Seed", 3),
                SettingReaders.Integer(denoiser, "Threads", torchThreads, 1), options)
            .Apply((a, dtype, seed, threads, o) => new DenoiserSettings(denoiser.Key, a, dtype, unchecked((ulong)seed), threads, o));
    }

    private static Validation<Error, IDenoiserArchitecture> ReadResidualCnn(IConfigurationSection section) =>
        (SettingReaders.Integer(section, "Width", 32, 1), SettingReaders.Integer(section, "Depth", 7, 2), SettingReaders.Integer(section, "Kernel", 3, 1))
            .Apply((w, d, k) => new ResidualCnn(w, d, k))
            .Bind(a => a.Validate().Match(
                Succ: v => Success<Error, IDenoiserArchitecture>(v),
                Fail: e => Fail<Error, IDenoiserArchitecture>(HostErrors.Configuration(section.Path, e.Message))));

    private static Validation<Error, IDenoiserArchitecture> ReadGradientFlow(IConfigurationSection section) =>
        (SettingReaders.Integer(section, "Steps", 20, 1), SettingReaders.Integer(section, "Filters", 64, 1), SettingReaders.Integer(section, "Kernel", 3, 1),
                SettingReaders.Number(section, "StepSize", 1.0, 0, 1e6, exclusiveMin: true), SettingReaders.Number(section, "Theta", 0.95, 0, 1, exclusiveMin: true, exclusiveMax: true),
                SettingReaders.Text(section, "Activation", "relu"), SettingReaders.Integer(section, "Channels", 1, 1),
                SettingReaders.Text(section, "GramBound", GradientFlowDenoiser.ModuliGramBound))
            .Apply((n, m, k, h, theta, activation, c, gram) => new GradientFlowDenoiser(n, m, k, h, theta, activation, c, gram))
            .Bind(a => a.Validate().Match(
                Succ: v => Success<Error, IDenoiserArchitecture>(v),
                Fail: e => Fail<Error, IDenoiserArchitecture>(HostErrors.Configuration(section.Path, e.Message))));

    /// <summary>Noise levels in grey levels of 255: positive numbers below 255.</summary>
    private static Validation<Error, IReadOnlyList<double>> Levels(IConfigurationSection section, string name, double[] fallback) =>
        SettingReaders.Numbers(section, name).Bind(values => values.Match(
            None: () => Success<Error, IReadOnlyList<double>>(fallback),
            Some: list => list.Length == 0 || list.Any(v => !(v > 0 && v < 255))
                ? Fail<Error, IReadOnlyList<double>>(HostErrors.Configuration($"{section.Path}:{name}",
                    $"expected noise levels in grey levels of 255, each in (0, 255), got [{string.Join(", ", list.Select(v => v.ToString(CultureInfo.InvariantCulture)))}]"))
                : Success<Error, IReadOnlyList<double>>(list)));

    /// <summary>A list of texts: a JSON array or one comma-separated text; absent keys take the fallback.</summary>
    private static Validation<Error, IReadOnlyList<string>> Texts(IConfigurationSection section, string name, IReadOnlyList<string> fallback, bool allowEmpty)
    {
        var list = section.GetSection(name);
        string[] items;
        if (list.Value is not null) items = list.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        else
        {
            var children = list.GetChildren().ToArray();
            if (children.Length == 0) return Success<Error, IReadOnlyList<string>>(fallback);
            items = children.Select(c => c.Value?.Trim() ?? "").ToArray();
        }
        if (items.Any(string.IsNullOrEmpty))
            return Fail<Error, IReadOnlyList<string>>(HostErrors.Configuration($"{section.Path}:{name}", "expected a list of image names or paths, found an empty or nested entry"));
        if (items.Length == 0 && !allowEmpty)
            return Fail<Error, IReadOnlyList<string>>(HostErrors.Configuration($"{section.Path}:{name}", "needs at least one image"));
        return Success<Error, IReadOnlyList<string>>(items);
    }

    /// <summary>A text that may be set empty to mean "none".</summary>
    private static Validation<Error, string?> OptionalText(IConfigurationSection section, string name, string fallback)
    {
        var text = section[name];
        return Success<Error, string?>(text is null ? fallback : string.IsNullOrWhiteSpace(text) ? null : text.Trim());
    }
}
