using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Core.Sampling;

using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Reconstruction;

/// <summary>
/// Inpainting's measurement: A x = m ⊙ x for a 0/1 mask m of the observed pixels — a diagonal projection, so Aᵀ = A and
/// ‖A‖₂ = 1 (L = 1).
/// </summary>
/// <param name="Mask">The mask [1, 1, H, W] (1 = observed, 0 = missing), float64; converted to the images' type on use.</param>
/// <param name="MissingFraction">The fraction of missing pixels it was drawn with (for reports).</param>
/// <param name="Seed">The seed it was drawn from (for reports).</param>
public sealed record PixelMask(Tensor Mask, double MissingFraction, long Seed) : ILinearOperator
{
    /// <summary>
    /// A mask of an H×W image in which each pixel is missing independently with probability
    /// <paramref name="missing"/> ∈ [0, 1), drawn from <paramref name="seed"/> (SplitMix64: the same on every machine).
    /// </summary>
    public static Fin<PixelMask> Random(int height, int width, double missing, long seed)
    {
        if (height < 1 || width < 1) return FinFail<PixelMask>(RobustNodeErrors.InvalidArgument("mask", $"needs at least one pixel, got {height}×{width}"));
        if (!(missing >= 0 && missing < 1)) return FinFail<PixelMask>(RobustNodeErrors.InvalidArgument("missing fraction", $"must lie in [0, 1), got {missing}"));
        var random = new SplitMix64(seed);
        var values = new double[height * width];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextDouble() < missing ? 0 : 1;
        return new PixelMask(tensor(values, [1, 1, height, width], ScalarType.Float64).DetachFromDisposeScope(), missing, seed);
    }

    /// <inheritdoc/>
    public string Name => "inpainting";

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant($"inpainting(missing={MissingFraction:R}, seed={Seed}, size={Mask.shape[2]}x{Mask.shape[3]})");

    /// <inheritdoc/>
    public double NormSquaredBound => 1.0;

    /// <inheritdoc/>
    public Fin<Unit> Accepts(long[] shape) =>
        shape.Length == 4 && shape[1] == 1 && shape[2] == Mask.shape[2] && shape[3] == Mask.shape[3]
            ? FinSucc(unit)
            : FinFail<Unit>(RobustNodeErrors.ShapeMismatch("masked images", $"[B, 1, {Mask.shape[2]}, {Mask.shape[3]}]", "[" + string.Join(", ", shape) + "]"));

    /// <inheritdoc/>
    public Tensor Apply(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.mul(Mask.to(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Adjoint(Tensor y) => Apply(y);
}
