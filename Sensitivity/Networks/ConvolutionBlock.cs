using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Core.Spectral;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// A convolutional layer y = σ(W ∗ z + b) on images [B, C, H, W] (stride S, padding k/2): a stem layer of the
/// image networks. With a = W ∗ z + b, ā = σ'(a) ⊙ λ and its tangent ā̇ = σ'(a) ⊙ μ + σ''(a) ⊙ ȧ ⊙ λ:
/// λ_in = W ∗ᵀ ā, μ_in = W ∗ᵀ ā̇, W̄₁ = z ⋆ ā, W̄₂ = z ⋆ ā̇ + σ_in ⋆ ā, b̄₁ = Σ ā, b̄₂ = Σ ā̇. TorchSharp only.
/// </summary>
/// <remarks>
/// With a <see cref="Constraint"/> the layer keeps ‖W ∗ ·‖₂ ≤ c on its H×W inputs: <see cref="Constrain"/> rescales W by
/// c / ‖W ∗ ·‖₂ when the norm exceeds c, measuring it with the proven upper bound of the stride-1 convolution on the
/// padded grid (<see cref="ConvolutionSpectrum.UpperBound"/>, the bound the gradient-flow layers' projection uses at
/// epoch boundaries; striding restricts the output, norm 1). Rescaling is the projection onto the ball along W's ray;
/// it keeps W's direction, which the gradient step chose. The layer is then c·sup σ'-Lipschitz.
/// </remarks>
public sealed record ConvolutionBlock(Tensor Weight, Tensor Bias, int Stride, Activation Activation) : IBlock<Tensor>, INormConstrainedBlock
{
    private static readonly TorchEngine E = TorchEngine.Instance;

    /// <inheritdoc/>
    public IEngine<Tensor> Engine => E;
    /// <inheritdoc/>
    public string Name => "convolution";
    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters => [Weight, Bias];
    /// <inheritdoc/>
    public IBlock<Tensor> WithParameters(IReadOnlyList<Tensor> values) => this with { Weight = values[0], Bias = values[1] };
    /// <summary>The bound the layer keeps on its convolution's norm and the input size it is measured on, or null (unconstrained).</summary>
    public ConvolutionNormBound? Constraint { get; init; }
    /// <inheritdoc/>
    public double? NormBound => Constraint?.Bound;
    private long Kernel => Weight.shape[2];

    /// <summary>A proven upper bound of ‖W ∗ ·‖₂ on the constraint's input size (null constraint: the norm is not defined without a size).</summary>
    public double OperatorNorm() => Constraint is { } c
        ? ConvolutionSpectrum.UpperBound(Weight, c.Height, c.Width)
        : throw new InvalidOperationException("an unconstrained convolution has no input size to measure its norm on");

    /// <inheritdoc/>
    public void Constrain()
    {
        if (Constraint is not { } c) return;
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        // A margin below the bound that survives rounding the rescaled kernel in its own precision.
        double radius = c.Bound * (1 - (Weight.dtype == ScalarType.Float64 ? 1e-9 : 1e-5));
        double measured = ConvolutionSpectrum.UpperBound(Weight, c.Height, c.Width);
        if (measured > radius) Weight.TimesInPlace(radius / measured);
    }
    private long Padding => Kernel / 2;

    /// <summary>A layer with PyTorch's default (Kaiming-uniform-like) initialisation from a generator.</summary>
    public static ConvolutionBlock Initialised(long inputs, long outputs, long kernel, int stride, Activation activation, Generator generator,
        ScalarType dtype = ScalarType.Float64)
    {
        double bound = 1.0 / Math.Sqrt(inputs * kernel * kernel);
        using var scope = NewDisposeScope();
        // (2 U(0, 1) − 1) · bound, kernels first.
        Tensor Uniform(long[] shape) => rand(shape, dtype: dtype, generator: generator).Times(2).Minus(1).Times(bound).MoveToOuterDisposeScope();
        return new ConvolutionBlock(Uniform([outputs, inputs, kernel, kernel]), Uniform([outputs]), stride, activation);
    }

    private long OutputSize(long n) => (n + 2 * Padding - Kernel) / Stride + 1;

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == 4 && inputShape[1] == Weight.shape[1] && inputShape[2] >= Kernel - 2 * Padding && inputShape[3] >= Kernel - 2 * Padding
            ? FinSucc(new[] { inputShape[0], Weight.shape[0], OutputSize(inputShape[2]), OutputSize(inputShape[3]) })
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("convolution input", $"[B, {Weight.shape[1]}, H, W]", ShapeText.Of(inputShape)));

    /// <inheritdoc/>
    public Fin<IForwardSweep<Tensor>> Forward(Tensor input) =>
        OutputShape(input.shape).Map(_ =>
        {
            var a = nn.functional.conv2d(input, Weight, Bias, strides: [Stride, Stride], padding: [Padding, Padding]);
            // tanh' = 1 − tanh², tanh'' = −2 tanh tanh' (and the sigmoid's likewise) need only the output: the activation
            // overwrites a, so that the sweep keeps one state per layer, not two, until the second-order sweep is done.
            if (Activation.Kind is ActivationKind.Tanh) return (IForwardSweep<Tensor>)new Sweep(this, input, a.tanh_(), a);
            if (Activation.Kind is ActivationKind.Sigmoid) return new Sweep(this, input, a.sigmoid_(), a);
            return new Sweep(this, input, a, E.Activate(Activation, a));
        });

    private Tensor Transposed(Tensor cotangent, long[] inputShape) =>
        nn.functional.conv_transpose2d(cotangent, Weight, strides: [Stride, Stride], padding: [Padding, Padding],
            output_padding: OutputPadding(cotangent, inputShape));

    // The empty value a sweep for the controls returns in place of a cotangent it was not asked for (ReverseForControls).
    private static Tensor NotWanted(Tensor like) => empty([0], dtype: like.dtype, device: like.device);

    // The output padding that shapes a transposed convolution of the cotangent like the block's input.
    private long[] OutputPadding(Tensor cotangent, long[] inputShape)
    {
        long Extra(int d) => inputShape[d] - ((cotangent.shape[d] - 1) * Stride - 2 * Padding + Kernel);
        return [Extra(2), Extra(3)];
    }

    private sealed class Sweep(ConvolutionBlock block, Tensor input, Tensor preActivation, Tensor output) : IForwardSweep<Tensor>
    {
        public Tensor Final => output;
        public SolveStatistics Statistics => SolveStatistics.Zero;

        public Fin<ReverseResult<Tensor>> Reverse(Tensor lambdaT, bool withControls)
        {
            using var scope = NewDisposeScope();
            var abar = E.ActivationDerivative(block.Activation, preActivation, output).mul_(lambdaT);
            if (!withControls) return new ReverseResult<Tensor>(block.Transposed(abar, input.shape).MoveToOuterDisposeScope(), [], SolveStatistics.Zero);
            // z ⋆ ā by a kernel-only backward pass through the transposed convolution (libtorch's weight gradient).
            var (transposed, kernel) = KernelCotangents.TransposedWithCorrelation([abar], block.Weight, [input], block.Stride, block.Padding,
                block.OutputPadding(abar, input.shape));
            Tensor[] grads = [kernel.MoveToOuterDisposeScope(), abar.sum([0, 2, 3]).MoveToOuterDisposeScope()];
            return new ReverseResult<Tensor>(transposed[0].MoveToOuterDisposeScope(), grads, SolveStatistics.Zero);
        }

        /// <summary>z ⋆ ā by one correlation, without the transposed convolution that λ(0) would cost (the images' cotangent).</summary>
        public Fin<ReverseResult<Tensor>> ReverseForControls(Tensor lambdaT)
        {
            using var scope = NewDisposeScope();
            var abar = E.ActivationDerivative(block.Activation, preActivation, output).mul_(lambdaT);
            Tensor[] grads = [KernelCotangents.Correlation(input, abar, block.Kernel, block.Stride, block.Padding).MoveToOuterDisposeScope(),
                abar.sum([0, 2, 3]).MoveToOuterDisposeScope()];
            return new ReverseResult<Tensor>(NotWanted(input).MoveToOuterDisposeScope(), grads, SolveStatistics.Zero);
        }

        public Fin<ITangentSweep<Tensor>> Tangent(Tensor sigma0)
        {
            var aDot = nn.functional.conv2d(sigma0, block.Weight, strides: [block.Stride, block.Stride], padding: [block.Padding, block.Padding]);
            return new TangentSweep(block, input, preActivation, output, sigma0, aDot, E.ActivationDerivative(block.Activation, preActivation, output).mul_(aDot));
        }

        public void Dispose() { }
    }

    private sealed class TangentSweep(ConvolutionBlock block, Tensor input, Tensor preActivation, Tensor output, Tensor sigmaIn, Tensor aDot, Tensor sigmaOut)
        : ITangentSweep<Tensor>
    {
        public Tensor Final => sigmaOut;
        public SolveStatistics Statistics => SolveStatistics.Zero;

        // ā = σ'(a) ⊙ λ and ā̇ = σ'(a) ⊙ μ + σ''(a) ⊙ ȧ ⊙ λ: the cotangent of the pre-activation a = W ∗_S z + b and its tangent.
        private (Tensor Abar, Tensor AbarDot) PreActivationCotangents(Tensor lambdaT, Tensor muT)
        {
            var d1 = E.ActivationDerivative(block.Activation, preActivation, output);
            var abar = d1 * lambdaT;
            return (abar, (d1 * muT).PlusInPlace(E.ActivationSecondDerivative(block.Activation, preActivation, output, d1).mul_(aDot).mul_(lambdaT)));
        }

        public Fin<SecondOrderReverseResult<Tensor>> Reverse(Tensor lambdaT, Tensor muT)
        {
            using var scope = NewDisposeScope();
            var (abar, abarDot) = PreActivationCotangents(lambdaT, muT);
            // Wᵀ ∗ ā and Wᵀ ∗ ā̇, and with them, by a kernel-only backward pass through that one layer, z ⋆ ā̇ + σ_in ⋆ ā:
            // the second-order kernel term.
            // The first-order kernel term z ⋆ ā by a second kernel-only backward pass through the first of them (libtorch's
            // weight gradient, a fraction of a correlation written as a convolution).
            var (transposed, kernels) = KernelCotangents.TransposedWithCorrelations([abar, abarDot], block.Weight, [[input], [sigmaIn, input]],
                block.Stride, block.Padding, block.OutputPadding(abar, input.shape));
            var (lambda, mu) = (transposed[0], transposed[1]);
            Tensor[] first = [kernels[0].MoveToOuterDisposeScope(), abar.sum([0, 2, 3]).MoveToOuterDisposeScope()];
            Tensor[] second = [kernels[1].MoveToOuterDisposeScope(), abarDot.sum([0, 2, 3]).MoveToOuterDisposeScope()];
            return new SecondOrderReverseResult<Tensor>(lambda.MoveToOuterDisposeScope(), mu.MoveToOuterDisposeScope(), first, second, SolveStatistics.Zero);
        }

        /// <summary>
        /// The kernel terms z ⋆ ā and σ_in ⋆ ā + z ⋆ ā̇ by two correlations (z and σ_in stacked against ā), without the two
        /// transposed convolutions that λ(0) and μ(0) would cost.
        /// </summary>
        public Fin<SecondOrderReverseResult<Tensor>> ReverseForControls(Tensor lambdaT, Tensor muT)
        {
            using var scope = NewDisposeScope();
            var (abar, abarDot) = PreActivationCotangents(lambdaT, muT);
            var withAbar = KernelCotangents.Correlations([input, sigmaIn], abar, block.Kernel, block.Stride, block.Padding);
            var kernel = withAbar[1].add_(KernelCotangents.Correlation(input, abarDot, block.Kernel, block.Stride, block.Padding), TorchScalars.One);
            Tensor[] first = [withAbar[0].MoveToOuterDisposeScope(), abar.sum([0, 2, 3]).MoveToOuterDisposeScope()];
            Tensor[] second = [kernel.MoveToOuterDisposeScope(), abarDot.sum([0, 2, 3]).MoveToOuterDisposeScope()];
            return new SecondOrderReverseResult<Tensor>(NotWanted(input).MoveToOuterDisposeScope(), NotWanted(input).MoveToOuterDisposeScope(), first, second, SolveStatistics.Zero);
        }

        /// <summary>
        /// The second-order kernel term σ_in ⋆ ā + z ⋆ ā̇ alone: with the input cotangents, one kernel-only backward pass through
        /// the two transposed convolutions that form them; without, two correlations (z ⋆ ā, the first-order term, is not formed).
        /// </summary>
        public Fin<SecondOrderReverseResult<Tensor>> ReverseForSecondOrderControls(Tensor lambdaT, Tensor muT, bool inputCotangents)
        {
            using var scope = NewDisposeScope();
            var (abar, abarDot) = PreActivationCotangents(lambdaT, muT);
            Tensor lambda, mu, kernel;
            if (inputCotangents)
            {
                var (transposed, kernels) = KernelCotangents.TransposedWithCorrelations([abar, abarDot], block.Weight, [[sigmaIn, input]],
                    block.Stride, block.Padding, block.OutputPadding(abar, input.shape));
                (lambda, mu, kernel) = (transposed[0], transposed[1], kernels[0]);
            }
            else
            {
                kernel = KernelCotangents.Correlation(sigmaIn, abar, block.Kernel, block.Stride, block.Padding)
                    .add_(KernelCotangents.Correlation(input, abarDot, block.Kernel, block.Stride, block.Padding), TorchScalars.One);
                (lambda, mu) = (NotWanted(input), NotWanted(input));
            }
            Tensor[] second = [kernel.MoveToOuterDisposeScope(), abarDot.sum([0, 2, 3]).MoveToOuterDisposeScope()];
            return new SecondOrderReverseResult<Tensor>(lambda.MoveToOuterDisposeScope(), mu.MoveToOuterDisposeScope(), [], second, SolveStatistics.Zero);
        }

        public void Dispose() { }
    }
}

/// <summary>The bound c a convolutional layer keeps on ‖W ∗ ·‖₂, measured on inputs of H×W pixels.</summary>
/// <param name="Bound">c, positive.</param>
/// <param name="Height">H of the layer's input.</param>
/// <param name="Width">W of the layer's input.</param>
public sealed record ConvolutionNormBound(double Bound, long Height, long Width);
