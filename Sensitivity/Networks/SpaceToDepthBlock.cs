using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// Space-to-depth downsampling [B, C, H, W] → [B, C·s², H/s, W/s]: each s×s patch becomes s² channels of one pixel
/// (PyTorch's pixel_unshuffle). A permutation of the entries, so an isometry with Lipschitz bound 1; a stride-1
/// convolution after it keeps the information and the norm bound that a stride-s convolution, bounded through its
/// stride-1 convolution, gives away (striding discards s² − 1 of every s² outputs while the bound stays). Linear
/// without parameters: cotangents go back through pixel_shuffle, second-order terms vanish. TorchSharp only.
/// </summary>
/// <remarks>Invertible downsampling as in Jacobsen, Smeulders &amp; Oyallon, "i-RevNet", ICLR 2018, and the orthogonal
/// Lipschitz networks built on it (Trockman &amp; Kolter, "Orthogonalizing convolutional layers with the Cayley transform",
/// ICLR 2021).</remarks>
/// <param name="Factor">s ≥ 2; H and W must be multiples of it.</param>
public sealed record SpaceToDepthBlock(int Factor) : IBlock<Tensor>, ILipschitzBlock
{
    /// <inheritdoc/>
    public IEngine<Tensor> Engine => TorchEngine.Instance;
    /// <inheritdoc/>
    public string Name => "space-to-depth";
    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters => [];
    /// <inheritdoc/>
    public IBlock<Tensor> WithParameters(IReadOnlyList<Tensor> values) => this;

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape) =>
        Factor >= 2 && inputShape.Length == 4 && inputShape[2] % Factor == 0 && inputShape[3] % Factor == 0 && inputShape[2] > 0 && inputShape[3] > 0
            ? FinSucc(new[] { inputShape[0], inputShape[1] * Factor * Factor, inputShape[2] / Factor, inputShape[3] / Factor })
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("space-to-depth input", $"[B, C, H, W] with H and W multiples of {Factor} (≥ 2)", ShapeText.Of(inputShape)));

    /// <inheritdoc/>
    public Fin<LipschitzBound> LipschitzBound(long[] inputShape) =>
        OutputShape(inputShape).Map(_ => Lipschitz.LipschitzBound.Of(Name, 1, "a permutation of the entries: an isometry"));

    /// <inheritdoc/>
    public Fin<IForwardSweep<Tensor>> Forward(Tensor input) =>
        OutputShape(input.shape).Map(_ => (IForwardSweep<Tensor>)new LinearMapSweep<Tensor>(input,
            x => nn.functional.pixel_unshuffle(x, Factor), z => nn.functional.pixel_shuffle(z, Factor)));
}
