using LanguageExt;
using RobustNode.Core.Sampling;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Data;

/// <summary>
/// Random translation of training images: each image of a batch moves by a whole-pixel offset (dy, dx) drawn uniformly
/// from [−<paramref name="Pixels"/>, <paramref name="Pixels"/>]², the pixels it uncovers filled with <paramref name="Fill"/>
/// (black, in the network's units) — torchvision's <c>RandomCrop(size, padding=Pixels, fill=0)</c>, the usual
/// augmentation of digit images. It applies to images kept as [C, H, W] and to images a dense network sees as vectors
/// of C·H·W pixels alike.
/// </summary>
/// <param name="Pixels">The largest offset along each axis (0: images unchanged).</param>
/// <param name="Channels">Channels C of one image.</param>
/// <param name="Height">Height H of one image.</param>
/// <param name="Width">Width W of one image.</param>
/// <param name="Fill">The value of an uncovered pixel (a black pixel in the network's units).</param>
public sealed record RandomShift(int Pixels, int Channels, int Height, int Width, double Fill = 0)
{
    /// <summary>Checks the offsets and the image shape.</summary>
    public Fin<RandomShift> Validate() =>
        Problem() is { } problem ? FinFail<RandomShift>(TrainingErrors.InvalidConfiguration("training.randomShift", problem)) : FinSucc(this);

    /// <summary>What is wrong with the offsets or the image shape, in words; null when nothing is.</summary>
    public string? Problem() =>
        Pixels < 0 ? $"the largest offset must be at least 0 pixels, got {Pixels}"
        : Channels < 1 || Height < 1 || Width < 1 ? $"images must have a positive shape, got [{Channels}, {Height}, {Width}]"
        : Pixels >= Math.Min(Height, Width) ? $"an offset of {Pixels} pixels moves a {Height}×{Width} image out of its frame"
        : !double.IsFinite(Fill) ? $"the fill value must be finite, got {Fill}"
        : null;

    /// <summary>Whether samples of this shape are images of this shape ([C, H, W] or C·H·W pixels).</summary>
    public bool Fits(long[] sampleShape) =>
        sampleShape.Aggregate(1L, (a, b) => a * b) == (long)Channels * Height * Width && sampleShape.Length is 1 or 3;

    /// <summary>"±2 px, fill 0": how the images move.</summary>
    public string Describe() => FormattableString.Invariant($"±{Pixels} px, fill {Fill:G6}");

    /// <summary>
    /// The batch [B, …] with every image moved by its own offset, drawn from <paramref name="seed"/> in sample order
    /// (dy, then dx). The result has the batch's shape, dtype and device and belongs to the current dispose scope.
    /// </summary>
    public Tensor Apply(Tensor batch, long seed)
    {
        var shape = batch.shape;
        long count = shape[0];
        using var scope = NewDisposeScope();
        var padded = nn.functional.pad(batch.reshape(count, Channels, Height, Width), [Pixels, Pixels, Pixels, Pixels], value: Fill);
        var random = new SplitMix64(seed);
        var moved = new Tensor[count];
        for (long i = 0; i < count; i++)
        {
            // Window origin o in [0, 2s]: the image moves by s − o along that axis.
            int top = random.NextInt(2 * Pixels + 1), left = random.NextInt(2 * Pixels + 1);
            moved[i] = padded[i].narrow(1, top, Height).narrow(2, left, Width);
        }
        return stack(moved).reshape(shape).MoveToOuterDisposeScope();
    }
}
