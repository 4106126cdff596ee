using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using static LanguageExt.Prelude;
using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Training.Models;

/// <summary>
/// The image network of the seed talk's MNIST experiment: three convolutional layers (stem, tanh), an ODE block of
/// <see cref="Layers"/> layers of width <see cref="Width"/> with the convolutional field W_k ∗ tanh(x) + b_k,
/// global average pooling and a linear layer to the classes. The stem strides (2, 2, 1) bring 28×28 inputs to
/// 7×7 feature maps so that the ODE block runs at a cost two CPU cores can train in minutes.
/// </summary>
/// <param name="InputChannels">Channels of the input images (1 for MNIST).</param>
/// <param name="ImageSize">Input height = width (28 for MNIST).</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="Width">Channels of the ODE block (64 in the talk).</param>
/// <param name="Layers">Layers N of the ODE block (6 in the talk).</param>
/// <param name="FinalTime">T of the ODE block.</param>
public sealed record ConvolutionalOdeModel(int InputChannels = 1, int ImageSize = 28, int Classes = 10, int Width = 64, int Layers = 6, double FinalTime = 1.0)
{
    /// <summary>Channels of the first two stem layers.</summary>
    public (int First, int Second) StemChannels => (Width / 4, Width / 2);

    private static readonly int[] Strides = [2, 2, 1];

    /// <summary>
    /// Convolutional gradient-flow layers s_k K_kᵀ∗σ(K_k ∗ x + b_k) (kernels [M, width, 3, 3]) in place of the field
    /// W_k ∗ tanh(x) + b_k (null: that field). They need constant steps; the network is built on its step rule and
    /// training keeps it there (<see cref="StepConstraints"/>).
    /// </summary>
    public GradientFlowLayers? GradientFlow { get; init; }

    /// <summary>
    /// The bound c each stem convolution keeps on its operator norm, ‖W ∗ ·‖₂ ≤ c on its input size (null: unconstrained).
    /// With tanh between (1-Lipschitz) the stem is then c³-Lipschitz; training keeps it there (<see cref="StepConstraints"/>).
    /// </summary>
    public double? StemBound { get; init; }

    /// <summary>The bound c the linear read-out keeps on ‖W‖₂ (null: unconstrained). It sets the scale of the logits.</summary>
    public double? ReadOutBound { get; init; }

    /// <summary>
    /// The norm r every row of the linear read-out keeps, ‖w_j‖₂ = r (null: rows free), in place of <see cref="ReadOutBound"/>:
    /// the scale of the logits is then fixed, so no loss can shrink it away (<see cref="LinearBlock{T}.RowNorm"/>).
    /// </summary>
    public double? ReadOutRowNorm { get; init; }

    /// <summary>With <see cref="ReadOutRowNorm"/> r: the read-out's rows are kept orthonormal times r, not only of norm r.</summary>
    public bool ReadOutOrthonormal { get; init; }

    /// <summary>
    /// True: the read-out sees the flattened feature maps (C·H·W features, Lipschitz 1); false: their channel means
    /// (global average pooling, C features, 1/√(HW)), as in the seed talk.
    /// </summary>
    public bool Flatten { get; init; }

    /// <summary>
    /// True: the stem downsamples by space-to-depth (an isometry) before its first two convolutions, which then have
    /// stride 1; false: those convolutions have stride 2, as in the seed talk. Same feature-map sizes either way.
    /// </summary>
    public bool SpaceToDepth { get; init; }

    /// <summary>", stemBound=…, readOutBound=…, features=flatten" for the settings that differ from the talk's network (empty when none does).</summary>
    public string DescribeBounds() =>
        (StemBound is { } s ? FormattableString.Invariant($", stemBound={s:R}") : "") + (ReadOutBound is { } r ? FormattableString.Invariant($", readOutBound={r:R}") : "")
        + (ReadOutRowNorm is { } n ? FormattableString.Invariant($", readOutRowNorm={n:R}") : "") + (ReadOutOrthonormal ? ", readOut=orthonormal" : "")
        + (Flatten ? ", features=flatten" : "") + (SpaceToDepth ? ", stem=space-to-depth" : "");

    /// <summary>Side of the feature maps the ODE block acts on.</summary>
    public long FeatureSize => Strides.Aggregate((long)ImageSize, (n, s) => (n + 2 - 3) / s + 1);

    /// <summary>Builds the network with seeded initialisation (PyTorch's default uniform bounds; ODE kernels scaled by 1/√(9·width)).</summary>
    /// <remarks>The parameters are drawn on the CPU (the same numbers on every device) and moved to <paramref name="device"/>, if given.</remarks>
    public Fin<Network<Tensor>> Build(OdeSolver solver, IAdjointMethod adjoint, ulong seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (InputChannels < 1 || ImageSize < 4 || Classes < 2 || Width < 4 || Layers < 1 || !(FinalTime > 0) || SpaceToDepth && ImageSize % 4 != 0
            || StemBound is { } sb && !(sb > 0 && double.IsFinite(sb)) || ReadOutBound is { } rb && !(rb > 0 && double.IsFinite(rb))
            || ReadOutRowNorm is { } rn && !(rn > 0 && double.IsFinite(rn)) || ReadOutBound is not null && ReadOutRowNorm is not null || ReadOutOrthonormal && ReadOutRowNorm is null)
            return FinFail<Network<Tensor>>(RobustNodeErrors.InvalidArgument("model", $"invalid convolutional ODE model {this}"));
        if (GradientFlow is { } flow)
        {
            var problems = flow.Problems(Layers).ToList();
            if (solver.Controller.IsAdaptive)
                problems.Add(TrainingErrors.InvalidConfiguration("model.solver", "gradient-flow layers keep a step-size rule, so they need constant steps, not adaptive ones"));
            if (flow.Enforcement == StepRuleEnforcement.Normalisation)
                problems.Add(TrainingErrors.InvalidConfiguration("model.stepRule",
                    "normalisation is for dense gradient-flow layers; convolutional ones keep their rule by projection"));
            if (problems.Count > 0) return TrainingErrors.All(problems).Map(_ => default(Network<Tensor>)!);
        }
        var network = Initialised(solver, adjoint, seed, dtype);
        return device is null || device.type == TorchSharp.DeviceType.CPU ? network : network.Map(n => (Network<Tensor>)n.WithParameters(n.Parameters.Select(p => p.to(device)).ToArray()));
    }

    // The stem layer's constraint, measured on the size of its output grid before striding (28, 14, 7 for MNIST;
    // 14, 7, 7 after space-to-depth).
    private ConvolutionBlock Stem(ConvolutionBlock layer, long size) =>
        StemBound is { } c ? layer with { Constraint = new ConvolutionNormBound(c, size, size) } : layer;

    // Three 3×3 convolutions with tanh: strides (2, 2, 1), or space-to-depth by 2 before each of the first two (stride 1).
    private IBlock<Tensor>[] StemLayers(Generator generator, ScalarType dtype)
    {
        var (c1, c2) = StemChannels;
        long half = (ImageSize + 2 - 3) / 2 + 1, quarter = (half + 2 - 3) / 2 + 1;
        if (!SpaceToDepth)
            return [
                Stem(ConvolutionBlock.Initialised(InputChannels, c1, 3, Strides[0], Activation.Tanh, generator, dtype), ImageSize),
                Stem(ConvolutionBlock.Initialised(c1, c2, 3, Strides[1], Activation.Tanh, generator, dtype), half),
                Stem(ConvolutionBlock.Initialised(c2, Width, 3, Strides[2], Activation.Tanh, generator, dtype), quarter)];
        return [
            new SpaceToDepthBlock(2),
            Stem(ConvolutionBlock.Initialised(4 * InputChannels, c1, 3, 1, Activation.Tanh, generator, dtype), ImageSize / 2),
            new SpaceToDepthBlock(2),
            Stem(ConvolutionBlock.Initialised(4 * c1, c2, 3, 1, Activation.Tanh, generator, dtype), ImageSize / 4),
            Stem(ConvolutionBlock.Initialised(c2, Width, 3, 1, Activation.Tanh, generator, dtype), ImageSize / 4)];
    }

    private Fin<Network<Tensor>> Initialised(OdeSolver solver, IAdjointMethod adjoint, ulong seed, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(seed);
        double bound = 1.0 / Math.Sqrt(9.0 * Width);
        int rows = GradientFlow?.Rows ?? Width;
        var kernels = rand([Layers, rows, Width, 3, 3], dtype: dtype, generator: generator).Times(2).Minus(1).Times(bound);
        var biases = zeros([Layers, rows], dtype: dtype);
        Fin<IVectorField<Tensor>> field = GradientFlow is { } flow
            ? ConvolutionGradientFlowField.Create(kernels, biases, FeatureSize, FeatureSize, FinalTime, flow.Activation, flow.Directions(Layers), flow.Rule(Layers))
                .ToFin().Map(f => (IVectorField<Tensor>)f)
            : ConvolutionField.Create(kernels, biases, FeatureSize, FeatureSize, FinalTime, Activation.Tanh).ToFin().Map(f => (IVectorField<Tensor>)f);
        return field
            .Map(field => new Network<Tensor>([
                .. StemLayers(generator, dtype),
                new OdeBlock<Tensor>(field, solver, adjoint),
                Flatten ? new FlattenBlock() : (IBlock<Tensor>)new GlobalAveragePoolingBlock(),
                LinearBlock.Initialised(Flatten ? Width * FeatureSize * FeatureSize : Width, Classes, generator, dtype) with { NormBound = ReadOutBound, RowNorm = ReadOutRowNorm, Orthonormal = ReadOutOrthonormal }]))
            .Bind(network => StepConstraints.Restore(network).Map(_ =>
            {
                // The parameters outlive this method's scope (and its temporaries do not).
                foreach (var parameter in network.Parameters) parameter.MoveToOuterDisposeScope();
                return network;
            }));
    }
}

internal static class ValidationExtensions
{
    public static Fin<T> ToFin<T>(this Validation<Error, T> validation) =>
        validation.Match(Succ: FinSucc, Fail: errors => FinFail<T>(errors.Head));
}
