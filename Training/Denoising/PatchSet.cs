using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Core.Sampling;

using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// Clean training patches [n, 1, p, p] of grey images, with a description of where they came from (for configuration
/// fingerprints). Noise is added per mini-batch by the trainer, so every epoch sees fresh noise drawn from
/// (seed, epoch, batch).
/// </summary>
/// <param name="Name">Canonical description of the sources, counts and seed.</param>
/// <param name="Clean">The patches [n, 1, p, p].</param>
public sealed record PatchSet(string Name, Tensor Clean)
{
    /// <summary>Number of patches.</summary>
    public int Count => (int)Clean.shape[0];

    /// <summary>Side p of the patches.</summary>
    public int Size => (int)Clean.shape[^1];

    /// <summary>
    /// <paramref name="perImage"/> patches of side <paramref name="size"/> from each image, at positions drawn uniformly
    /// from <paramref name="seed"/> (SplitMix64, so the same seed gives the same patches); an image exactly the patch's
    /// size gives itself. Fails, naming the image, when one is smaller than a patch.
    /// </summary>
    public static Fin<PatchSet> Sample(string name, IReadOnlyList<GreyImage> images, int size, int perImage, long seed, ScalarType dtype = ScalarType.Float32)
    {
        if (size < 1) return FinFail<PatchSet>(RobustNodeErrors.InvalidArgument("patch size", $"must be at least 1, got {size}"));
        if (perImage < 1) return FinFail<PatchSet>(RobustNodeErrors.InvalidArgument("patches per image", $"must be at least 1, got {perImage}"));
        if (images.Count == 0) return FinFail<PatchSet>(RobustNodeErrors.InvalidArgument("patches", "no images to cut patches from"));
        var small = images.Where(i => i.Height < size || i.Width < size).Select(i => $"{i.Name} is {i.Height}×{i.Width}").ToArray();
        if (small.Length > 0)
            return FinFail<PatchSet>(RobustNodeErrors.InvalidArgument("patches", $"images smaller than the {size}×{size} patches: {string.Join(", ", small)}"));
        var random = new SplitMix64(seed);
        var values = new double[(long)images.Count * perImage * size * size];
        long at = 0;
        foreach (var image in images)
            for (int k = 0; k < perImage; k++)
            {
                int top = random.NextInt(image.Height - size + 1), left = random.NextInt(image.Width - size + 1);
                for (int r = 0; r < size; r++, at += size) System.Array.Copy(image.Pixels, (top + r) * image.Width + left, values, at, size);
            }
        using var scope = NewDisposeScope();
        var clean = tensor(values, [images.Count * (long)perImage, 1, size, size], ScalarType.Float64).to(dtype);
        return new PatchSet(name, clean.DetachFromDisposeScope());
    }

    /// <summary>Two patch sets as one (same patch size and type).</summary>
    public Fin<PatchSet> Concat(PatchSet other)
    {
        if (other.Size != Size || other.Clean.dtype != Clean.dtype)
            return FinFail<PatchSet>(RobustNodeErrors.InvalidArgument("patches",
                $"cannot join {Size}×{Size} {Clean.dtype} patches ({Name}) with {other.Size}×{other.Size} {other.Clean.dtype} patches ({other.Name})"));
        using var scope = NewDisposeScope();
        return new PatchSet($"{Name} + {other.Name}", cat([Clean, other.Clean], 0).DetachFromDisposeScope());
    }

    /// <summary>The patches of one mini-batch: rows <paramref name="order"/>[start … start + count) (in the caller's dispose scope).</summary>
    internal Tensor Take(long[] order, int start, int count)
    {
        using var scope = NewDisposeScope();
        return Clean.index_select(0, tensor(order.AsSpan(start, count).ToArray(), ScalarType.Int64)).MoveToOuterDisposeScope();
    }
}
