using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Spectral;
using RobustNode.Core.Tableaux;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// The convolutional gradient-flow field g(u_k, x) = s_k·A_kᵀσ(A_k x + b_k) on image states [B, C, H, W], where A_k is the
/// convolution with kernel K_k [M, C, k, k] (k odd, stride 1, zero padding k/2) and A_kᵀ its transpose; controls
/// K [N, M, C, k, k], b [N, M]; TorchSharp only. Closed forms, with ∗ the convolution, ∗ᵀ its transpose, ⋆ the kernel
/// correlation (the kernel gradient of ⟨w, a ∗ K⟩ is a ⋆ w), z = x ∗ K + b, q = p ∗ K, w = v ∗ K:
/// g_x v = s (σ' ⊙ w) ∗ᵀ K (symmetric, so g_xᵀp = s (σ' ⊙ q) ∗ᵀ K), g_Kᵀp = s[p ⋆ σ(z) + x ⋆ (σ' ⊙ q)],
/// g_bᵀp = s Σ σ' ⊙ q, ∂ₓ(g_xᵀp)·v = s (σ'' ⊙ w ⊙ q) ∗ᵀ K,
/// ∂ₓ(g_Kᵀp)·v = s[p ⋆ (σ' ⊙ w) + x ⋆ (σ'' ⊙ w ⊙ q) + v ⋆ (σ' ⊙ q)], ∂ₓ(g_bᵀp)·v = s Σ σ'' ⊙ w ⊙ q.
/// </summary>
/// <remarks>
/// The Lipschitz facts are those of the dense field (<see cref="GradientFlowField{T}"/>) with ‖A_k‖₂ the proven upper
/// bound of <see cref="ConvolutionSpectrum.UpperBound"/>. Training keeps the step rule by rescaling K_k after every
/// optimizer step with a power-iteration estimate warm-started at the previous step's vector
/// (<see cref="ConstraintNorm.Tracked"/>), and with the proven bound at epoch boundaries
/// (<see cref="ConstraintNorm.Proven"/>), which also resets the tracked vectors.
/// </remarks>
public sealed class ConvolutionGradientFlowField : IVectorField<Tensor>, ILipschitzField, IStepConstrainedField
{
    private static readonly TorchEngine E = TorchEngine.Instance;
    private const int TrackedIterations = 2;

    /// <inheritdoc/>
    public IEngine<Tensor> Engine => E;
    /// <inheritdoc/>
    public LayerGrid Grid { get; }
    /// <inheritdoc/>
    public int Dim { get; }
    /// <inheritdoc/>
    public long[] StateShape { get; }
    /// <summary>σ = γ' (monotone for contractive layers).</summary>
    public Activation Activation { get; }
    /// <summary>The direction of each layer.</summary>
    public IReadOnlyList<FlowDirection> Directions { get; }
    /// <summary>The step-size rule that <see cref="Constrain"/> restores.</summary>
    public GradientFlowStepRule Rule { get; }
    /// <inheritdoc/>
    public IReadOnlyList<ControlParameter<Tensor>> Controls { get; }
    /// <summary>K [N, M, C, k, k].</summary>
    public Tensor Kernels => Controls[0].Value;
    /// <summary>b [N, M].</summary>
    public Tensor Biases => Controls[1].Value;
    private long Padding => Kernels.shape[3] / 2;
    private readonly double[] _signs;
    // Power-iteration vectors per layer, carried from one tracked projection to the next (null: start afresh).
    private readonly Tensor?[] _tracked;

    private ConvolutionGradientFlowField(LayerGrid grid, Tensor kernels, Tensor biases, long height, long width, Activation activation,
        IReadOnlyList<FlowDirection> directions, GradientFlowStepRule rule)
    {
        Grid = grid;
        Activation = activation;
        Directions = directions;
        Rule = rule;
        StateShape = [kernels.shape[2], height, width];
        Dim = (int)(kernels.shape[2] * height * width);
        Controls = [new ControlParameter<Tensor>("kernels", kernels, true), new ControlParameter<Tensor>("biases", biases, true)];
        _signs = directions.Select(d => d.Sign()).ToArray();
        _tracked = new Tensor?[grid.Layers];
    }

    /// <summary>
    /// Checks kernel and bias shapes, activation, directions (one, or one per layer) and rule before anything reaches
    /// libtorch: K [N, M, C, k, k] with k odd, b [N, M], images of H×W.
    /// </summary>
    public static Validation<Error, ConvolutionGradientFlowField> Create(Tensor kernels, Tensor biases, long height, long width, double finalTime,
        Activation activation, IReadOnlyList<FlowDirection> directions, GradientFlowStepRule? rule = null)
    {
        rule ??= GradientFlowStepRule.Default;
        var errors = new List<Error>();
        bool kernelsOk = kernels.dim() == 5 && kernels.shape[3] == kernels.shape[4] && kernels.shape[3] % 2 == 1 && kernels.shape.All(s => s >= 1);
        if (!kernelsOk)
            errors.Add(RobustNodeErrors.ShapeMismatch("kernels", "[N, M, C, k, k] with k odd", ShapeText.Of(kernels.shape)));
        else if (biases.dim() != 2 || biases.shape[0] != kernels.shape[0] || biases.shape[1] != kernels.shape[1])
            errors.Add(RobustNodeErrors.ShapeMismatch("biases", $"[{kernels.shape[0]}, {kernels.shape[1]}]", ShapeText.Of(biases.shape)));
        if (E.Incompatibility(kernels, biases) is { } problem) errors.Add(RobustNodeErrors.InvalidArgument("biases", $"{problem} (the kernels')"));
        if (height < 1 || width < 1) errors.Add(RobustNodeErrors.InvalidArgument("image size", $"must be positive, got {height}×{width}"));
        if (!(finalTime > 0) || !double.IsFinite(finalTime)) errors.Add(RobustNodeErrors.InvalidArgument("T", $"final time must be positive and finite, got {finalTime}"));
        long layers = kernelsOk ? kernels.shape[0] : 0;
        if (directions.Count != 1 && directions.Count != layers)
            errors.Add(RobustNodeErrors.InvalidArgument("direction", $"expected one direction or one per layer ({layers}), got {directions.Count}"));
        if (directions.Contains(FlowDirection.Contractive) && !activation.Monotone)
            errors.Add(RobustNodeErrors.InvalidArgument("activation",
                Activation.NotAPotentialGradient(activation.Name)));
        foreach (var reason in rule.Problems()) errors.Add(RobustNodeErrors.InvalidArgument("step rule", reason));
        if (errors.Count > 0) return Fail<Error, ConvolutionGradientFlowField>(Seq(errors));
        var perLayer = directions.Count == 1 ? Enumerable.Repeat(directions[0], (int)layers).ToArray() : directions.ToArray();
        return Success<Error, ConvolutionGradientFlowField>(
            new ConvolutionGradientFlowField(new LayerGrid((int)layers, finalTime), kernels, biases, height, width, activation, perLayer, rule));
    }

    private Tensor Conv(Tensor x, Tensor kernel, Tensor? bias) => nn.functional.conv2d(x, kernel, bias, padding: [Padding, Padding]);

    private Tensor ConvTranspose(Tensor y, Tensor kernel) => nn.functional.conv_transpose2d(y, kernel, padding: [Padding, Padding]);

    // (a ⋆ w)[o, i, u, v] = Σ_b Σ_{h,w} w[b, o, h, w] a[b, i, h + u − P, w + v − P]: the kernel gradient of ⟨w, a ∗ K⟩.
    private Tensor KernelCorrelation(Tensor a, Tensor w) => KernelCotangents.Correlation(a, w, 2 * Padding + 1, 1, Padding);

    /// <inheritdoc/>
    public Tensor Evaluate(int layer, double t, Tensor x)
    {
        using var scope = NewDisposeScope();
        var kernel = Kernels[layer];
        return ConvTranspose(E.Activate(Activation, Conv(x, kernel, Biases[layer])), kernel).TimesInPlace(_signs[layer]).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values) =>
        new ConvolutionGradientFlowField(Grid, values[0], values[1], StateShape[1], StateShape[2], Activation, Directions, Rule);

    /// <inheritdoc/>
    public FieldLinearization<Tensor> Linearize(int layer, double t, Tensor x) => new Linearization(this, layer, t, x);

    // ---- Lipschitz facts and the step rule -------------------------------------------------------------------------

    /// <summary>A proven upper bound of ‖A_k‖₂ on the field's images (<see cref="ConvolutionSpectrum.UpperBound"/>).</summary>
    public double SpectralNorm(int layer)
    {
        using var scope = NewDisposeScope();
        return ConvolutionSpectrum.UpperBound(Kernels[layer], StateShape[1], StateShape[2]);
    }

    /// <summary>‖A_k‖₂ estimated from below by converged power iteration (for comparison with the proven bound).</summary>
    public double SpectralNormEstimate(int layer)
    {
        using var scope = NewDisposeScope();
        return ConvolutionSpectrum.PowerIteration(Kernels[layer], StateShape[1], StateShape[2]).Estimate;
    }

    /// <summary>L_σ‖A_k‖₂² with the proven bound of ‖A_k‖₂.</summary>
    public double LipschitzConstant(int layer)
    {
        double norm = SpectralNorm(layer);
        return Activation.SlopeBound * norm * norm;
    }

    /// <summary>Euler: max(1, hL − 1) on contractive layers, 1 + hL on expansive ones; other tableaux: the stage recurrence.</summary>
    public double StepBound(int layer, ButcherTableau tableau, double h)
        => RungeKuttaLipschitz.GradientStepBound(tableau, h, LipschitzConstant(layer), Directions[layer]);

    /// <inheritdoc/>
    public IReadOnlyList<StepRuleCheck> Check(double stepSize) =>
        Enumerable.Range(0, Grid.Layers).Select(k => new StepRuleCheck(k, Directions[k], stepSize * LipschitzConstant(k), Rule.Budget(Directions[k]))).ToArray();

    /// <summary>
    /// Rescales every K_k whose norm exceeds √(c/(h L_σ)) onto that radius, in place: with the proven bound
    /// (<see cref="ConstraintNorm.Proven"/>, which also forgets the tracked vectors) or with a power-iteration estimate
    /// warm-started at the last call's vector (<see cref="ConstraintNorm.Tracked"/>; the first call of a run converges it
    /// from a seeded start).
    /// </summary>
    public void Constrain(double stepSize, ConstraintNorm norm = ConstraintNorm.Proven)
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        for (int k = 0; k < Grid.Layers; k++)
        {
            var kernel = Kernels[k];
            // A margin below the bound that survives rounding the rescaled kernel in its own precision.
            double margin = kernel.dtype == ScalarType.Float64 ? 1e-9 : 1e-5;
            double radius = Math.Sqrt(Rule.Budget(Directions[k]) / (stepSize * Activation.SlopeBound)) * (1 - margin);
            double measured = norm == ConstraintNorm.Proven ? ConvolutionSpectrum.UpperBound(kernel, StateShape[1], StateShape[2]) : Tracked(k, kernel);
            if (measured > radius) kernel.TimesInPlace(radius / measured);
            if (norm == ConstraintNorm.Proven) Forget(k);
        }
    }

    private void Forget(int layer)
    {
        _tracked[layer]?.Dispose();
        _tracked[layer] = null;
    }

    // ‖K v‖ after a few power steps from the carried vector (a lower bound of ‖A_k‖₂).
    private double Tracked(int layer, Tensor kernel)
    {
        long p = Padding;
        int iterations = TrackedIterations;
        if (_tracked[layer] is null)
        {
            using var generator = new Generator(unchecked(0x9E3779B97F4A7C15UL + (ulong)layer));
            var start = randn([1, kernel.shape[1], StateShape[1], StateShape[2]], dtype: kernel.dtype, generator: generator, device: kernel.device);
            _tracked[layer] = start.div_(start.norm()).DetachFromDisposeScope();
            iterations = 50;
        }
        double estimate = 0;
        for (int i = 0; i < iterations; i++)
        {
            using var step = NewDisposeScope();
            var av = nn.functional.conv2d(_tracked[layer]!, kernel, padding: [p, p]);
            estimate = av.norm().to(ScalarType.Float64).item<double>();
            var w = nn.functional.conv_transpose2d(av, kernel, padding: [p, p]);
            var length = w.norm();
            if (length.to(ScalarType.Float64).item<double>() == 0) break;
            _tracked[layer]!.copy_(w.div_(length));
        }
        return estimate;
    }

    private sealed class Linearization(ConvolutionGradientFlowField f, int layer, double t, Tensor x) : FieldLinearization<Tensor>(E, layer, t, x)
    {
        private Tensor? _kernel, _z, _sigma, _d1, _d2;
        private Tensor Kernel => _kernel ??= f.Kernels[Layer];
        private Tensor Z => _z ??= f.Conv(State, Kernel, f.Biases[Layer]);
        private Tensor Sigma => _sigma ??= E.Activate(f.Activation, Z);
        private Tensor D1 => _d1 ??= E.ActivationDerivative(f.Activation, Z, Sigma);
        private Tensor D2 => _d2 ??= E.ActivationSecondDerivative(f.Activation, Z, Sigma, D1);
        private double S => f._signs[Layer];

        protected override void Forget() => (_kernel, _z, _sigma, _d1, _d2) = (null, null, null, null, null);

        public override Tensor Value() => f.ConvTranspose(Sigma, Kernel).TimesInPlace(S);

        public override Tensor Jvp(Tensor v) => f.ConvTranspose(D1 * f.Conv(v, Kernel, null), Kernel).TimesInPlace(S);

        public override Tensor ControlJvp(IReadOnlyList<Tensor> eta) =>
            f.ConvTranspose(Sigma, eta[0]).PlusInPlace(f.ConvTranspose(D1 * f.Conv(State, eta[0], eta[1]), Kernel)).TimesInPlace(S);

        public override Tensor Vjp(Tensor p, FieldCotangent<Tensor>? controls)
        {
            var d1q = D1 * f.Conv(p, Kernel, null);
            if (controls is not null) AddFirst(controls, p, d1q);
            return f.ConvTranspose(d1q, Kernel).TimesInPlace(S);
        }

        public override Tensor SecondOrderVjp(Tensor p, Tensor v, FieldCotangent<Tensor>? controls)
        {
            var q = f.Conv(p, Kernel, null);
            var w = f.Conv(v, Kernel, null);
            var d2wq = D2 * w * q;
            if (controls is not null)
            {
                controls[0].PlusInPlace(f.KernelCorrelation(cat([p, State, v], 0), cat([D1 * w, d2wq, D1 * q], 0)), S * controls.Scale);
                controls[1].PlusInPlace(d2wq.sum([0, 2, 3]), S * controls.Scale);
            }
            return f.ConvTranspose(d2wq, Kernel).TimesInPlace(S);
        }

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor v, FieldCotangent<Tensor>? first, FieldCotangent<Tensor> second)
        {
            var q = f.Conv(p, Kernel, null);
            var w = f.Conv(v, Kernel, null);
            var d1q = D1 * q;
            // σ'⊙Am + σ''⊙w⊙q: the cotangent of z along v, which gives both g_xᵀm + ∂ₓ(g_xᵀp)·v and the x-terms of the controls.
            var d1r = (D1 * f.Conv(m, Kernel, null)).PlusInPlace(D2 * w * q);
            var x1 = f.ConvTranspose(d1q, Kernel).TimesInPlace(S);
            var x2 = f.ConvTranspose(d1r, Kernel).TimesInPlace(S);
            if (first is not null) AddFirst(first, p, d1q);
            // g_Kᵀm + ∂ₓ(g_Kᵀp)·v = s[m ⋆ σ(z) + x ⋆ d1r + p ⋆ (σ'⊙w) + v ⋆ (σ'⊙q)] as one correlation over the stacked batch.
            second[0].PlusInPlace(f.KernelCorrelation(cat([m, State, p, v], 0), cat([Sigma, d1r, D1 * w, d1q], 0)), S * second.Scale);
            second[1].PlusInPlace(d1r.sum([0, 2, 3]), S * second.Scale);
            return (x1, x2);
        }

        // g_Kᵀp = s[p ⋆ σ(z) + x ⋆ (σ'⊙q)], g_bᵀp = s Σ σ'⊙q.
        private void AddFirst(FieldCotangent<Tensor> controls, Tensor p, Tensor d1q)
        {
            controls[0].PlusInPlace(f.KernelCorrelation(cat([p, State], 0), cat([Sigma, d1q], 0)), S * controls.Scale);
            controls[1].PlusInPlace(d1q.sum([0, 2, 3]), S * controls.Scale);
        }
    }
}
