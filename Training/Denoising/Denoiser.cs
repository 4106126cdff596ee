using RobustNode.Core.Engines;
using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// A denoiser D as a value: a map from grey images [B, 1, H, W] to images of the same shape, its name, and what is known
/// of it — a Lipschitz bound (‖Dx − Dy‖ ≤ L‖x − y‖) and an averagedness α (D = (1 − α)I + αN with N non-expansive),
/// when a construction proves them. Plug-and-Play forward–backward splitting converges for any α-averaged D
/// (<see cref="Reconstruction.PlugAndPlay"/>); an unconstrained network carries no such guarantee.
/// </summary>
/// <param name="Name">Name for reports ("dncnn-25", "soft-threshold(0.05)").</param>
/// <param name="Map">The map itself; it may assume the input was checked by <see cref="Apply"/>.</param>
/// <remarks>
/// Averaged operators and the convergence of their iterations: Bauschke &amp; Combettes, "Convex Analysis and Monotone
/// Operator Theory in Hilbert Spaces", 2nd ed., Springer 2017, §4.5 and Proposition 4.46 (compositions).
/// </remarks>
public sealed record Denoiser(string Name, Func<Tensor, Fin<Tensor>> Map)
{
    /// <summary>L with ‖Dx − Dy‖ ≤ L‖x − y‖ for all x, y, when known.</summary>
    public Option<double> LipschitzBound { get; init; } = None;

    /// <summary>α ∈ (0, 1) such that D is α-averaged, when known (an averaged operator is non-expansive).</summary>
    public Option<double> Averagedness { get; init; } = None;

    /// <summary>The floating-point type D computes in, when it needs one (a network's parameter type); None for any.</summary>
    public Option<ScalarType> DType { get; init; } = None;

    /// <summary>
    /// D applied to images [B, 1, H, W] of a floating-point type: the denoised images, same shape, in the caller's
    /// dispose scope. Wrong shapes or types are refused before libtorch sees them.
    /// </summary>
    public Fin<Tensor> Apply(Tensor images)
    {
        if (images.shape.Length != 4 || images.shape[1] != 1)
            return FinFail<Tensor>(RobustNodeErrors.ShapeMismatch($"input of denoiser '{Name}'", "[B, 1, H, W]", Shape(images.shape)));
        if (images.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            return FinFail<Tensor>(RobustNodeErrors.InvalidArgument($"input of denoiser '{Name}'", $"expected float32 or float64 images, got {images.dtype}"));
        if (DType.Exists(t => t != images.dtype))
            return FinFail<Tensor>(RobustNodeErrors.InvalidArgument($"input of denoiser '{Name}'",
                $"the denoiser computes in {DType.Map(t => t.ToString()).IfNone("")}, the images are {images.dtype}; convert the images or rebuild the denoiser in their type (TrainedDenoiser.In)"));
        using var scope = NewDisposeScope();
        return Map(images).Bind(output => output.shape.SequenceEqual(images.shape)
            ? FinSucc(output.MoveToOuterDisposeScope())
            : FinFail<Tensor>(RobustNodeErrors.ShapeMismatch($"output of denoiser '{Name}'", Shape(images.shape), Shape(output.shape))));
    }

    /// <summary>
    /// A network as a denoiser (a block mapping [B, 1, H, W] to the same shape, e.g. a residual CNN or a chain of
    /// averaged gradient-flow steps), evaluated without keeping anything for reverse sweeps.
    /// </summary>
    public static Denoiser FromNetwork(string name, IBlock<Tensor> network) =>
        new(name, x => Inference.Output(network, x)) { DType = network.Parameters.Count > 0 ? Some(network.Parameters[0].dtype) : None };

    /// <summary>D x = s x with s ∈ [0, 1): (1 − s)/2-averaged with Lipschitz constant s (a toy operator with known constants).</summary>
    public static Fin<Denoiser> ScaledIdentity(double scale) =>
        scale >= 0 && scale < 1
            ? new Denoiser(FormattableString.Invariant($"scaled-identity({scale:G4})"), x => FinSucc(x.Times(scale)))
            { LipschitzBound = scale, Averagedness = (1 - scale) / 2 }
            : FinFail<Denoiser>(RobustNodeErrors.InvalidArgument("scale", $"must lie in [0, 1), got {scale}"));

    /// <summary>
    /// Soft thresholding x ↦ sign(x) max(|x| − τ, 0), the proximal map of τ‖·‖₁: firmly non-expansive, i.e.
    /// 1/2-averaged with Lipschitz constant 1 (a toy operator with known constants).
    /// </summary>
    public static Fin<Denoiser> SoftThreshold(double threshold) =>
        threshold >= 0 && double.IsFinite(threshold)
            ? new Denoiser(FormattableString.Invariant($"soft-threshold({threshold:G4})"), x => FinSucc(nn.functional.softshrink(x, threshold)))
            { LipschitzBound = 1.0, Averagedness = 0.5 }
            : FinFail<Denoiser>(RobustNodeErrors.InvalidArgument("threshold", $"must be finite and non-negative, got {threshold}"));

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
