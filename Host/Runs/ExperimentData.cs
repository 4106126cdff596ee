using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.Experiments;
using RobustNode.Host.IO;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;
using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Host.Runs;

/// <summary>
/// An experiment's data, loaded: the training and test sets as the network sees them, and the <see cref="InputScale"/>
/// from input units to network units (the identity unless images are standardised).
/// </summary>
internal sealed record ExperimentData(Dataset Train, Dataset Test, InputScale Scale)
{
    /// <summary>
    /// The shape [C, H, W] of one image when the network sees the images as vectors of pixels (the dense network of an
    /// image experiment), so that pictures can show them as images; null otherwise.
    /// </summary>
    public long[]? FlattenedImage { get; init; }

    /// <summary>Samples as the pictures show them: images in their [C, H, W] shape, whatever shape the network sees.</summary>
    public Tensor AsImages(Tensor samples) => FlattenedImage is { } shape ? samples.reshape([samples.shape[0], .. shape]) : samples;

    /// <summary>The same data on a TorchSharp device (<c>Torch:Device</c>); itself when it is there already.</summary>
    public ExperimentData On(Device device) => this with { Train = Train.On(device), Test = Test.On(device) };

    /// <summary>
    /// Generates or reads the data of an experiment. Missing or unreadable files are errors naming the configuration
    /// key and the path; so are counts larger than the files hold.
    /// </summary>
    /// <param name="settings">The data settings.</param>
    /// <param name="model">The network, which sets the floating-point type of the inputs (float64 for dense networks) and
    /// whether images are seen as vectors of pixels (a dense network) or as images.</param>
    public static Validation<Error, ExperimentData> Load(DataSettings settings, ModelSettings model) =>
        Load(settings, ExperimentModel.DType(model), flatten: model is PointCloudModelSettings);

    private static Validation<Error, ExperimentData> Load(DataSettings settings, ScalarType dtype, bool flatten) => settings switch
    {
        PointCloudDataSettings p => p.Generator.Generate(p.Size, p.Seed)
            .Bind(d => d.Split(p.TestFraction, p.Seed))
            .Map(split => new ExperimentData(split.Train, split.Test, InputScale.Identity))
            .ToValidation(),
        ImageDataSettings i => (Read(i.Train), i.Test is { } t ? Read(t).Map(Some) : Success<Error, Option<(ImageData, string)>>(None))
            .Apply((train, test) => (train, test))
            .Bind(files => Images(i, files.train, files.test, dtype, flatten)),
        _ => Fail<Error, ExperimentData>(Error.New($"unknown data settings {settings.GetType().Name}")),
    };

    private static Validation<Error, ExperimentData> Images(ImageDataSettings s, (ImageData, string) train, Option<(ImageData, string)> testPart, ScalarType dtype,
        bool flatten)
    {
        var (trainData, trainFile) = train;
        string countKey = $"{s.Section}:TrainCount", testKey = $"{s.Section}:TestCount";
        using var scope = NewDisposeScope();
        Tensor trainX, trainY, testX, testY;
        string trainName, testName;
        if (testPart.IsNone)
        {
            long n = trainData.Count;
            if (s.TrainCount + s.TestCount > n)
                return Fail<Error, ExperimentData>(HostErrors.Configuration(countKey,
                    $"{s.TrainCount} training and {s.TestCount} test images need {s.TrainCount + s.TestCount}, '{s.Train.Images}' holds {n}"));
            var (a, b) = trainData.Split(s.TrainCount, s.Seed);
            (trainX, trainY) = (a.Images, a.Labels);
            (testX, testY) = (b.Images.narrow(0, 0, s.TestCount), b.Labels.narrow(0, 0, s.TestCount));
            trainName = $"{s.Source}({trainFile}, n={n})/train({s.TrainCount}, seed={s.Seed}, {Describe(s.Normalisation)})";
            testName = $"{s.Source}({trainFile}, n={n})/test({s.TestCount}, seed={s.Seed})";
        }
        else
        {
            var (testData, testFile) = testPart.Match(x => x, () => default);
            var problems = new List<Error>();
            if (s.TrainCount > trainData.Count)
                problems.Add(HostErrors.Configuration(countKey, $"{s.TrainCount} training images asked for, '{s.Train.Images}' holds {trainData.Count}"));
            if (s.TestCount > testData.Count)
                problems.Add(HostErrors.Configuration(testKey, $"{s.TestCount} test images asked for, '{s.Test!.Images}' holds {testData.Count}"));
            if (problems.Count > 0) return Fail<Error, ExperimentData>(Seq(problems));
            (trainX, trainY) = Subset(trainData, s.TrainCount, s.Seed);
            (testX, testY) = Subset(testData, s.TestCount, s.Seed + 1);
            trainName = $"{s.Source}({trainFile}, n={trainData.Count})/train({s.TrainCount}, seed={s.Seed}, {Describe(s.Normalisation)})";
            testName = $"{s.Source}({testFile}, n={testData.Count})/test({s.TestCount}, seed={s.Seed + 1})";
        }
        var scale = InputScale.Identity;
        if (s.Normalisation == ImageNormalisation.Standard)
        {
            double mean = trainX.to(ScalarType.Float64).mean().item<double>(), std = trainX.to(ScalarType.Float64).std().item<double>();
            scale = new InputScale(mean, Math.Max(std, 1e-12));
        }
        // Clamped into the image of [0, 1], so that rounding never puts a clean pixel outside the attacks' box.
        long[] image = trainX.shape[1..];
        Tensor Prepare(Tensor x)
        {
            var prepared = scale.ToNetwork(x.to(ScalarType.Float64)).Clamped(-scale.Mean / scale.Std, (1 - scale.Mean) / scale.Std).to(dtype);
            return (flatten ? prepared.flatten(1) : prepared).contiguous().MoveToOuterDisposeScope();
        }
        var classes = (int)Math.Max(trainData.Classes, 2);
        return (
            from trainSet in Dataset.Create(Prepare(trainX), trainY.contiguous().MoveToOuterDisposeScope(), classes, trainName)
            from testSet in Dataset.Create(Prepare(testX), testY.contiguous().MoveToOuterDisposeScope(), classes, testName)
            select new ExperimentData(trainSet, testSet, scale) { FlattenedImage = flatten ? image : null }).ToValidation();
    }

    private static string Describe(ImageNormalisation n) => n == ImageNormalisation.Unit ? "unit" : "standard";

    private static (Tensor X, Tensor Y) Subset(ImageData data, int count, long seed)
    {
        using var generator = new Generator(unchecked((ulong)seed));
        var index = randperm(data.Count, generator: generator).narrow(0, 0, count);
        return (data.Images.index_select(0, index), data.Labels.index_select(0, index));
    }

    /// <summary>Reads an IDX pair, naming the configuration key and the path of a file that cannot be read or parsed.</summary>
    private static Validation<Error, (ImageData Data, string File)> Read(IdxPair pair) =>
        (ReadIdx(pair.Images, pair.ImagesKey), ReadIdx(pair.Labels, pair.LabelsKey))
            .Apply((images, labels) => (images, labels))
            .Bind(files => ImageData.FromIdx(Path.GetFileName(pair.Images), files.images, files.labels, pair.Images, pair.Labels)
                .Map(d => (d, Path.GetFileName(pair.Images)))
                .ToValidation()
                // A problem of the label file (count, shape, classes) is reported under the labels' key.
                .MapFail(e => HostErrors.Configuration(e.Message.StartsWith(pair.Labels + ":", StringComparison.Ordinal) ? pair.LabelsKey : pair.ImagesKey, e.Message)));

    /// <summary>Largest IDX file read (bytes; the full Fashion-MNIST training images are 47 MB raw).</summary>
    public const long MaxIdxBytes = 1L << 30;

    /// <summary>An IDX file, or an error naming the configuration key and the path (shared with the denoising data).</summary>
    internal static Validation<Error, IdxFile> ReadIdx(string path, string key) =>
        InputFile.ReadBytes(path, MaxIdxBytes)
            .MapFail(e => HostErrors.Configuration(key,
                $"cannot read '{path}' (from {Directory.GetCurrentDirectory()}): {e.Message[(e.Message.IndexOf(": cannot read: ", StringComparison.Ordinal) + 15)..]}; scripts/prepare-data.sh installs the image data sets"))
            .Bind(bytes => IdxFile.Parse(bytes, path).ToValidation().MapFail(e => HostErrors.Configuration(key, e.Message)));
}
