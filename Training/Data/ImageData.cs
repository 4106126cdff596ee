using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;
using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Training.Data;

/// <summary>Labelled images [n, 1, H, W] with grey levels normalised to [0, 1], and labels [n] in 0…classes−1.</summary>
public sealed record ImageData(string Name, Tensor Images, Tensor Labels, int Classes)
{
    /// <summary>Number of images.</summary>
    public long Count => Images.shape[0];

    /// <summary>
    /// Pairs an IDX image file ([n, H, W], 0…255) with an IDX label file ([n]); checks that counts agree and labels
    /// are whole numbers in range, naming the files on failure.
    /// </summary>
    public static Fin<ImageData> FromIdx(string name, IdxFile images, IdxFile labels, string imagesSource, string labelsSource, int classes = 10)
    {
        if (images.Dimensions.Length != 3)
            return Fail($"{imagesSource}: expected images [n, height, width], got [{string.Join(", ", images.Dimensions)}]");
        if (labels.Dimensions.Length != 1)
            return Fail($"{labelsSource}: expected labels [n], got [{string.Join(", ", labels.Dimensions)}]");
        if (images.Count != labels.Count)
            return Fail($"{labelsSource}: {labels.Count} labels for {images.Count} images in {imagesSource}");
        for (int i = 0; i < labels.Values.Length; i++)
        {
            double v = labels.Values[i];
            if (v != Math.Floor(v) || v < 0 || v >= classes)
                return Fail($"{labelsSource}: label {i} is {v}, expected a class in 0…{classes - 1}");
        }
        using var scope = NewDisposeScope();
        var x = tensor(images.Values, dtype: float32).view(images.Count, 1, images.Dimensions[1], images.Dimensions[2]).OverInPlace(255.0);
        var y = tensor(labels.Values.Select(v => (long)v).ToArray(), dtype: int64);
        return FinSucc(new ImageData(name, x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope(), classes));
    }

    /// <summary>A fixed split into train and test parts by a seeded permutation.</summary>
    public (ImageData Train, ImageData Test) Split(long trainCount, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var perm = randperm(Count, generator: generator);
        var train = perm.narrow(0, 0, trainCount);
        var test = perm.narrow(0, trainCount, Count - trainCount);
        static Tensor Take(Tensor from, Tensor rows) => from.index_select(0, rows).MoveToOuterDisposeScope();
        return (this with { Name = Name + "-train", Images = Take(Images, train), Labels = Take(Labels, train) },
                this with { Name = Name + "-test", Images = Take(Images, test), Labels = Take(Labels, test) });
    }

    private static Fin<ImageData> Fail(string message) => FinFail<ImageData>(Error.New(RobustNodeErrors.InvalidArgumentCode, message));
}
