using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Spectral;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// The convolutional neural-ODE field g(u_k, x) = W_k ∗ σ(x) + b_k on image states [B, C, H, W], with
/// kernels W [N, C, C, k, k] (k odd, stride 1, "same" padding) and biases b [N, C] (seed talk, MNIST
/// architecture); TorchSharp only. Closed forms, with ∗ᵀ the transposed convolution and ⋆ the kernel correlation:
/// g_xᵀp = σ'(x) ⊙ (W ∗ᵀ p), g_Wᵀp = σ(x) ⋆ p, g_bᵀp = Σ p, g_x s = W ∗ (σ'(x) ⊙ s),
/// ∂ₓ(g_xᵀp)·s = σ''(x) ⊙ s ⊙ (W ∗ᵀ p), ∂ₓ(g_Wᵀp)·s = (σ'(x) ⊙ s) ⋆ p.
/// </summary>
/// <remarks>
/// The products are the closed forms, with the layouts and calls libtorch runs fastest (<see cref="KernelCotangents"/>):
/// a kernel term is a kernel-only backward pass through a convolution the sweep makes anyway (a local single-layer
/// backward, its one-node graph freed at once: libtorch's weight gradient, about a third of a correlation written as a
/// convolution). A VJP with controls gets σ(x) ⋆ p from its transposed convolution W ∗ᵀ p; a second-order reverse stage
/// gets σ(x) ⋆ p and (σ'(x) ⊙ s) ⋆ p + σ(x) ⋆ m from its two transposed convolutions W ∗ᵀ p and W ∗ᵀ m. When the
/// state-only reverse sweep kept W ∗ᵀ p (<see cref="FieldLinearization{T}.SharesReverseProduct"/>), it also formed
/// σ(x) ⋆ p from it, and the tangent sweep formed (σ'(x) ⊙ s) ⋆ p from its convolution W ∗ (σ'(x) ⊙ s)
/// (<see cref="FieldLinearization{T}.PairsControlTerms"/>): the stage then computes only W ∗ᵀ m and σ(x) ⋆ m, and
/// forms by one correlation only the terms paired with p that the earlier sweeps did not.
/// </remarks>
public sealed class ConvolutionField : IVectorField<Tensor>, ILipschitzField
{
    private static readonly TorchEngine E = TorchEngine.Instance;

    /// <inheritdoc/>
    public IEngine<Tensor> Engine => E;
    /// <inheritdoc/>
    public LayerGrid Grid { get; }
    /// <inheritdoc/>
    public int Dim { get; }
    /// <inheritdoc/>
    public long[] StateShape { get; }
    /// <summary>The activation σ applied to the state before the convolution.</summary>
    public Activation Activation { get; }
    /// <inheritdoc/>
    public IReadOnlyList<ControlParameter<Tensor>> Controls { get; }
    private Tensor Kernels => Controls[0].Value;
    private Tensor Biases => Controls[1].Value;
    private long Padding => Kernels.shape[3] / 2;

    private ConvolutionField(LayerGrid grid, Tensor kernels, Tensor biases, long height, long width, Activation activation)
    {
        Grid = grid;
        Activation = activation;
        StateShape = [kernels.shape[1], height, width];
        Dim = (int)(kernels.shape[1] * height * width);
        Controls = [new ControlParameter<Tensor>("kernels", kernels, true), new ControlParameter<Tensor>("biases", biases, true)];
    }

    /// <summary>Checks kernel and bias shapes before anything reaches libtorch.</summary>
    public static Validation<Error, ConvolutionField> Create(Tensor kernels, Tensor biases, long height, long width, double finalTime, Activation? activation = null)
    {
        var errors = new List<Error>();
        if (kernels.dim() != 5 || kernels.shape[1] != kernels.shape[2] || kernels.shape[3] != kernels.shape[4] || kernels.shape[3] % 2 == 0)
            errors.Add(RobustNodeErrors.ShapeMismatch("kernels", "[N, C, C, k, k] with k odd", ShapeText.Of(kernels.shape)));
        else if (biases.dim() != 2 || biases.shape[0] != kernels.shape[0] || biases.shape[1] != kernels.shape[1])
            errors.Add(RobustNodeErrors.ShapeMismatch("biases", $"[{kernels.shape[0]}, {kernels.shape[1]}]", ShapeText.Of(biases.shape)));
        if (height < 1 || width < 1) errors.Add(RobustNodeErrors.InvalidArgument("image size", $"must be positive, got {height}×{width}"));
        if (!(finalTime > 0) || !double.IsFinite(finalTime)) errors.Add(RobustNodeErrors.InvalidArgument("T", $"final time must be positive and finite, got {finalTime}"));
        if (errors.Count > 0) return Fail<Error, ConvolutionField>(Seq(errors));
        return Success<Error, ConvolutionField>(new ConvolutionField(new LayerGrid((int)kernels.shape[0], finalTime), kernels, biases, height, width,
            activation ?? Activation.Tanh));
    }

    private Tensor Conv(Tensor z, Tensor kernel, Tensor? bias) => nn.functional.conv2d(z, kernel, bias, padding: [Padding, Padding]);

    private Tensor ConvTranspose(Tensor p, Tensor kernel) => nn.functional.conv_transpose2d(p, kernel, padding: [Padding, Padding]);

    // (a ⋆ p)[o, i, u, v] = Σ_b Σ_{h,w} p[b, o, h, w] a[b, i, h + u − P, w + v − P].
    private Tensor KernelCorrelation(Tensor a, Tensor p) => KernelCotangents.Correlation(a, p, Kernels.shape[3], 1, Padding);

    /// <inheritdoc/>
    public Tensor Evaluate(int layer, double t, Tensor x)
    {
        using var scope = NewDisposeScope();
        return Conv(E.Activate(Activation, x), Kernels[layer], Biases[layer]).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values) =>
        new ConvolutionField(Grid, values[0], values[1], StateShape[1], StateShape[2], Activation);

    /// <summary>The closed forms at one stage, with the layer's kernel, σ(x), σ'(x) and σ''(x) each computed once.</summary>
    public FieldLinearization<Tensor> Linearize(int layer, double t, Tensor x) => new Linearization(this, layer, t, x);

    /// <summary>sup σ' times the proven bound of ‖W_k ∗ ·‖₂ on the field's images (<see cref="ConvolutionSpectrum.UpperBound"/>).</summary>
    public double LipschitzConstant(int layer)
    {
        using var scope = NewDisposeScope();
        return Activation.SlopeBound * ConvolutionSpectrum.UpperBound(Kernels[layer], StateShape[1], StateShape[2]);
    }

    private sealed class Linearization(ConvolutionField f, int layer, double t, Tensor x) : FieldLinearization<Tensor>(E, layer, t, x)
    {
        private Tensor? _kernel, _bias, _sigma, _d1, _d2;
        private Tensor Kernel => _kernel ??= f.Kernels[Layer];
        private Tensor Bias => _bias ??= f.Biases[Layer];
        private Tensor Sigma => _sigma ??= E.Activate(f.Activation, State);
        private Tensor D1 => _d1 ??= E.ActivationDerivative(f.Activation, f.Activation.DerivativeArgument(State, Sigma), Sigma);
        private Tensor D2 => _d2 ??= E.ActivationSecondDerivative(f.Activation, f.Activation.DerivativeArgument(State, Sigma), Sigma, D1);

        protected override void Forget() => (_kernel, _bias, _sigma, _d1, _d2) = (null, null, null, null, null);

        /// <summary>
        /// σ(x), the costliest elementwise value at a point (tanh: a quarter of a convolution at the MNIST network's size),
        /// kept for the later sweeps; σ' and σ'' are cheap from it and not kept (one state per stage, not three).
        /// </summary>
        public override int SavedCount => 1;

        public override bool RestoresWithoutState => f.Activation.DerivativesFromValue;

        public override void Save(Span<Tensor> values) => values[0] = Sigma;

        protected override void Restore(ReadOnlySpan<Tensor> saved) => _sigma = saved[0];

        public override Tensor Value() => f.Conv(Sigma, Kernel, Bias);

        public override Tensor Jvp(Tensor s) => f.Conv(D1 * s, Kernel, null);

        public override Tensor ControlJvp(IReadOnlyList<Tensor> eta) => f.Conv(Sigma, eta[0], eta[1]);

        public override Tensor Vjp(Tensor p, FieldCotangent<Tensor>? controls)
        {
            if (controls is null) return f.ConvTranspose(p, Kernel).mul_(D1);
            var gx = StateVjp(p, out var product, controls);
            product.Dispose();
            return gx;
        }

        public override Tensor SecondOrderVjp(Tensor p, Tensor s, FieldCotangent<Tensor>? controls)
        {
            var gx = (D2 * s).mul_(f.ConvTranspose(p, Kernel));
            if (controls is not null) controls[0].PlusInPlace(f.KernelCorrelation(D1 * s, p), controls.Scale);
            return gx;
        }

        /// <summary>W ∗ᵀ p is the part of g_xᵀp = σ'(x) ⊙ (W ∗ᵀ p) that the second-order stage needs again.</summary>
        public override bool SharesReverseProduct => true;

        public override Tensor StateVjp(Tensor p, out Tensor product)
        {
            product = f.ConvTranspose(p, Kernel);
            return product * D1;
        }

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first,
            FieldCotangent<Tensor> second, Tensor product) => SecondOrderReverse(p, m, s, first, second, product, PairedControlTerms.None);

        /// <summary>
        /// σ(x) ⋆ p and Σ p (g_uᵀp) by the kernel-only backward pass through the transposed convolution W ∗ᵀ p that the
        /// reverse sweep computes anyway: libtorch's weight gradient, about a third of a correlation written as a convolution
        /// (so also in <see cref="Vjp"/>).
        /// </summary>
        public override bool PairsControlTerms => true;

        public override Tensor StateVjp(Tensor p, out Tensor product, FieldCotangent<Tensor> controls)
        {
            // The cached values belong to the caller's scope: computed before the local one opens.
            var (weight, sigma, d1) = (Kernel, Sigma, D1);
            using var scope = NewDisposeScope();
            var (transposed, kernel) = KernelCotangents.TransposedWithCorrelation([p], weight, [sigma], 1, f.Padding, [0, 0]);
            controls[0].PlusInPlace(kernel, controls.Scale);
            controls[1].PlusInPlace(p.sum([0, 2, 3]), controls.Scale);
            product = transposed[0].MoveToOuterDisposeScope();
            return (product * d1).MoveToOuterDisposeScope();
        }

        /// <summary>g_x s = W ∗ (σ'(x) ⊙ s), with ∂ₓ(g_Wᵀp)·s = (σ'(x) ⊙ s) ⋆ p from the kernel-only backward pass through it (∂ₓ(g_bᵀp)·s = 0).</summary>
        public override Tensor Jvp(Tensor s, Tensor p, FieldCotangent<Tensor> controls)
        {
            var (weight, d1) = (Kernel, D1);
            using var scope = NewDisposeScope();
            var (convolution, kernel) = KernelCotangents.ConvolutionWithCorrelation(d1 * s, weight, p, 1, f.Padding);
            controls[0].PlusInPlace(kernel, controls.Scale);
            return convolution.MoveToOuterDisposeScope();
        }

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first,
            FieldCotangent<Tensor> second, Tensor product, PairedControlTerms formed)
        {
            var (weight, sigma, d1, d2) = (Kernel, Sigma, D1, CurvatureFromValue ? null : D2);
            using var scope = NewDisposeScope();
            // With a = W ∗ᵀ p given: W ∗ᵀ m and σ(x) ⋆ m from one transposed convolution and its kernel-only backward pass,
            // and those of σ(x) ⋆ p (g_Wᵀp) and (σ'(x) ⊙ s) ⋆ p that the earlier sweeps did not form from one correlation
            // over the inputs — one to three calls against five when a is recomputed.
            bool cotangentFormed = formed.HasFlag(PairedControlTerms.Cotangent), tangentFormed = formed.HasFlag(PairedControlTerms.Tangent);
            var (transposed, sigmaM) = KernelCotangents.TransposedWithCorrelation([m], weight, [sigma], 1, f.Padding, [0, 0]);
            var inputs = new List<Tensor>(2);
            if (!cotangentFormed) inputs.Add(sigma);
            if (!tangentFormed) inputs.Add(d1 * s);
            var withP = inputs.Count > 0 ? KernelCotangents.Correlations([.. inputs], p, weight.shape[3], 1, f.Padding) : [];
            if (!cotangentFormed)
            {
                first[0].PlusInPlace(withP[0], first.Scale);
                first[1].PlusInPlace(p.sum([0, 2, 3]), first.Scale);
            }
            if (!tangentFormed) sigmaM.add_(withP[^1], TorchScalars.One);
            second[0].PlusInPlace(sigmaM, second.Scale);
            second[1].PlusInPlace(m.sum([0, 2, 3]), second.Scale);
            var aDot = transposed[0];
            var x1 = d1 * product;
            var x2 = SecondOrderState(s, product, aDot, sigma, d1, d2);
            return (x1.MoveToOuterDisposeScope(), x2.MoveToOuterDisposeScope());
        }

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor>? first, FieldCotangent<Tensor> second)
        {
            // The cached values belong to the caller's scope: computed before the local one opens.
            var (weight, sigma, d1, d2) = (Kernel, Sigma, D1, CurvatureFromValue ? null : D2);
            // The stage's temporaries (stacked batches, the transposed convolutions, layout copies) are freed here, not
            // with the step, so that a stage's peak memory is a few states.
            using var scope = NewDisposeScope();
            // W ∗ᵀ p and W ∗ᵀ m, and with them, by kernel-only backward passes through that one layer, σ(x) ⋆ p (g_Wᵀp)
            // and (σ'(x) ⊙ s) ⋆ p + σ(x) ⋆ m: the second-order kernel term (the first only when first-order sums are wanted).
            Tensor[][] partners = first is null ? [[d1 * s, sigma]] : [[sigma], [d1 * s, sigma]];
            var (transposed, kernels) = KernelCotangents.TransposedWithCorrelations([p, m], weight, partners, 1, f.Padding, [0, 0]);
            if (first is not null)
            {
                first[0].PlusInPlace(kernels[0], first.Scale);
                first[1].PlusInPlace(p.sum([0, 2, 3]), first.Scale);
            }
            second[0].PlusInPlace(kernels[^1], second.Scale);
            second[1].PlusInPlace(m.sum([0, 2, 3]), second.Scale);
            var (a, aDot) = (transposed[0], transposed[1]);
            var x1 = d1 * a;
            var x2 = SecondOrderState(s, a, aDot, sigma, d1, d2);
            return (x1.MoveToOuterDisposeScope(), x2.MoveToOuterDisposeScope());
        }

        // tanh: σ'' = −2σσ', so the second-order stage needs no σ''(x) of its own (one state less at its peak).
        private bool CurvatureFromValue => f.Activation.Kind == ActivationKind.Tanh;

        // ∂ₓ(g_xᵀp)·s + g_xᵀm = σ''(x) ⊙ s ⊙ a + σ'(x) ⊙ ȧ with a = W ∗ᵀ p, ȧ = W ∗ᵀ m; for tanh σ'(x) ⊙ (ȧ − 2σ(x) ⊙ s ⊙ a).
        private static Tensor SecondOrderState(Tensor s, Tensor a, Tensor aDot, Tensor sigma, Tensor d1, Tensor? d2) => d2 is null
            ? (sigma * s).mul_(a).mul_(TorchScalars.MinusTwo).add_(aDot, TorchScalars.One).mul_(d1)
            : (d2 * s).mul_(a).addcmul_(d1, aDot, TorchScalars.One);
    }
}
