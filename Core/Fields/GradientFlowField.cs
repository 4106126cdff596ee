using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Spectral;
using RobustNode.Core.Tableaux;
using static LanguageExt.Prelude;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace RobustNode.Core.Fields;

/// <summary>
/// The gradient-flow field g(u_k, x) = s_k·A_kᵀσ(A_k x + b_k) with controls A [N, m, d] (any m ≥ 1) and b [N, m]: for
/// s_k = −1 (contractive) the gradient flow of the convex potential V_k(x) = Σᵢ γ((A_k x + b_k)ᵢ) with σ = γ' monotone,
/// for s_k = +1 (expansive) the flow up it. Written once over the kernels of any engine. Closed forms, with
/// z = Ax + b, q = A p, w = A v, σ', σ'' at z:
/// g_x v = s Aᵀ(σ' ⊙ w) (g_x is symmetric, so g_xᵀp = s Aᵀ(σ' ⊙ q)), g_Aᵀp = s[σ(z) pᵀ + (σ' ⊙ q) xᵀ], g_bᵀp = s σ' ⊙ q,
/// ∂ₓ(g_xᵀp)·v = s Aᵀ(σ'' ⊙ w ⊙ q), ∂ₓ(g_Aᵀp)·v = s[(σ' ⊙ w) pᵀ + (σ'' ⊙ w ⊙ q) xᵀ + (σ' ⊙ q) vᵀ],
/// ∂ₓ(g_bᵀp)·v = s σ'' ⊙ w ⊙ q (batch sums for the controls).
/// </summary>
/// <remarks>
/// Lipschitz facts (<see cref="ILipschitzField"/>): g is L_σ‖A_k‖₂²-Lipschitz, L_σ = sup σ'; an explicit Euler step
/// x + h g(x) is max(1, hL_σ‖A_k‖² − 1)-Lipschitz on a contractive layer (non-expansive for hL_σ‖A_k‖² ≤ 2) and
/// (1 + hL_σ‖A_k‖²)-Lipschitz on an expansive one (<see cref="GradientFlowStepRule"/>); other tableaux get the stage
/// recurrence. ‖A_k‖₂ comes from exact singular values in managed code (<see cref="DenseSpectrum"/>), so the managed
/// engine never calls libtorch. Celledoni et al. 2023 (SIAM J. Sci. Comput. 45(6)); Sherry et al. 2023
/// (arXiv:2306.17332); Meunier et al. 2022 (convex potential layers).
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class GradientFlowField<T> : IVectorField<T>, ILipschitzField, IStepConstrainedField, IReparametrisedField<T>
{
    /// <inheritdoc/>
    public IEngine<T> Engine { get; }
    /// <inheritdoc/>
    public LayerGrid Grid { get; }
    /// <inheritdoc/>
    public int Dim { get; }
    /// <inheritdoc/>
    public long[] StateShape => [Dim];
    /// <summary>Rows m of each A_k.</summary>
    public int Rows { get; }
    /// <summary>σ = γ', monotone (for contractive layers) with slope at most <see cref="Activation.SlopeBound"/>.</summary>
    public Activation Activation { get; }
    /// <summary>The direction of each layer.</summary>
    public IReadOnlyList<FlowDirection> Directions { get; }
    /// <summary>The step-size rule that <see cref="Constrain"/> restores.</summary>
    public GradientFlowStepRule Rule { get; }
    /// <inheritdoc/>
    public IReadOnlyList<ControlParameter<T>> Controls { get; }
    /// <summary>A [N, m, d].</summary>
    public T Weights => Controls[0].Value;
    /// <summary>b [N, m].</summary>
    public T Biases => Controls[1].Value;

    private readonly T[] _layerWeights;
    private readonly T[] _layerBiases;
    private readonly double[] _signs;

    // Power-iteration vectors carried from one tracked projection to the next (one per layer, null until the first).
    private readonly double[]?[] _tracked;

    // Power steps per tracked projection from the carried vector, and from a fresh start.
    private const int TrackedIterations = 2, TrackedStartIterations = 50;

    internal GradientFlowField(IEngine<T> engine, LayerGrid grid, T weights, T biases, Activation activation, IReadOnlyList<FlowDirection> directions,
        GradientFlowStepRule rule)
    {
        Engine = engine;
        Grid = grid;
        var shape = engine.Shape(weights);
        (Rows, Dim) = ((int)shape[1], (int)shape[2]);
        Activation = activation;
        Directions = directions;
        Rule = rule;
        Controls = [new ControlParameter<T>("weights", weights, true), new ControlParameter<T>("biases", biases, true)];
        _layerWeights = new T[grid.Layers];
        _layerBiases = new T[grid.Layers];
        _signs = new double[grid.Layers];
        _tracked = new double[grid.Layers][];
        for (int k = 0; k < grid.Layers; k++)
        {
            // Views that share storage with the controls, so that in-place updates (optimizer, projection) are seen.
            _layerWeights[k] = engine.DetachFromScope(engine.Select(weights, k));
            _layerBiases[k] = engine.DetachFromScope(engine.Select(biases, k));
            _signs[k] = directions[k].Sign();
        }
    }

    /// <inheritdoc/>
    public T Evaluate(int layer, double t, T x)
    {
        using var scope = Engine.OpenScope();
        var sigma = Engine.Activate(Activation, Engine.Linear(x, _layerWeights[layer], _layerBiases[layer]));
        return Engine.Keep(Engine.Scale(Engine.MatMul(sigma, _layerWeights[layer]), _signs[layer]));
    }

    /// <inheritdoc/>
    public IVectorField<T> WithControls(IReadOnlyList<T> values) => new GradientFlowField<T>(Engine, Grid, values[0], values[1], Activation, Directions, Rule);

    /// <summary>The same field and controls under another step rule.</summary>
    public GradientFlowField<T> WithRule(GradientFlowStepRule rule) => new(Engine, Grid, Weights, Biases, Activation, Directions, rule);

    /// <summary>The closed forms at one stage, with z = A_k x + b_k, σ(z), σ'(z), σ''(z) each computed once, when first needed.</summary>
    public FieldLinearization<T> Linearize(int layer, double t, T x) => new Linearization(this, layer, t, x);

    // ---- Lipschitz facts and the step rule -------------------------------------------------------------------------

    /// <summary>‖A_k‖₂ from the exact singular values of the layer's matrix.</summary>
    public double SpectralNorm(int layer) => DenseSpectrum.SpectralNorm(Engine.ToArray(_layerWeights[layer]), Rows, Dim);

    /// <summary>L_σ‖A_k‖₂².</summary>
    public double LipschitzConstant(int layer)
    {
        double norm = SpectralNorm(layer);
        return Activation.SlopeBound * norm * norm;
    }

    /// <summary>Euler: max(1, hL − 1) on contractive layers (cocoercivity), 1 + hL on expansive ones; other tableaux: the stage recurrence.</summary>
    public double StepBound(int layer, ButcherTableau tableau, double h)
        => RungeKuttaLipschitz.GradientStepBound(tableau, h, LipschitzConstant(layer), Directions[layer]);

    /// <inheritdoc/>
    public IReadOnlyList<StepRuleCheck> Check(double stepSize) =>
        Enumerable.Range(0, Grid.Layers).Select(k => new StepRuleCheck(k, Directions[k], stepSize * LipschitzConstant(k), Rule.Budget(Directions[k]))).ToArray();

    /// <summary>
    /// Clips the singular values of every A_k to ρ = √(c/(h L_σ)) — the Euclidean projection onto the rule — in place (a
    /// relative margin of 1e-9 below the bound — 1e-5 in single precision — keeps the rule after rounding). The norms are
    /// exact, also when <see cref="ConstraintNorm.Tracked"/> is asked for, except on layers whose shorter side exceeds
    /// <see cref="DenseSpectrum.JacobiLimit"/>: there a tracked projection rescales A_k onto the radius when a power-iteration
    /// estimate, warm-started at the last call's vector, exceeds it (as the convolutional layers do), since exact singular
    /// values at every optimizer step would cost more than the step; a proven projection clips exactly and forgets the vectors.
    /// Under <see cref="StepRuleEnforcement.Normalisation"/> every layer is rescaled to ‖A_k‖₂ = ρ instead, from below as
    /// from above (by the same exact or tracked norm).
    /// </summary>
    public void Constrain(double stepSize, ConstraintNorm norm = ConstraintNorm.Proven)
    {
        using var scope = Engine.OpenScope();
        // A margin below the bound that survives rounding the clipped matrix to the parameters' precision.
        double margin = Engine.DType(Weights) == ScalarType.Float64 ? 1e-9 : 1e-5;
        bool tracked = norm == ConstraintNorm.Tracked && Math.Min(Rows, Dim) > DenseSpectrum.JacobiLimit;
        for (int k = 0; k < Grid.Layers; k++)
        {
            double radius = Math.Sqrt(Rule.Budget(Directions[k]) / (stepSize * Activation.SlopeBound)) * (1 - margin);
            var values = Engine.ToArray(_layerWeights[k]);
            double[] projected;
            if (tracked || Normalised)
            {
                // A proven projection forgets the carried vectors; a per-step one on a small layer keeps them for the
                // gradient through the normalisation (rescaling leaves the singular vectors as they are).
                if (norm == ConstraintNorm.Proven) _tracked[k] = null;
                double measured = tracked ? Tracked(k, values) : DenseSpectrum.SpectralNorm(values, Rows, Dim);
                if (!(measured > radius) && !(Normalised && measured > 0 && measured < radius)) continue;
                projected = values;
                for (int i = 0; i < projected.Length; i++) projected[i] *= radius / measured;
            }
            else
            {
                _tracked[k] = null;
                if (DenseSpectrum.SpectralNorm(values, Rows, Dim) <= radius) continue;
                projected = DenseSpectrum.ClipSingularValues(values, Rows, Dim, radius);
            }
            Engine.CopyInPlace(_layerWeights[k], Engine.FromValues(projected, _layerWeights[k], Rows, Dim));
        }
    }

    private bool Normalised => Rule.Enforcement == StepRuleEnforcement.Normalisation;

    /// <summary>
    /// Under <see cref="StepRuleEnforcement.Normalisation"/>: the gradient with respect to the free matrix of the layer
    /// A ↦ ρA/‖A‖₂ at a free matrix of norm ρ (where the layer is A itself), G − (⟨G, A⟩/‖A‖₂) u vᵀ with (u, v) the top
    /// singular pair — from d‖A‖₂ = uᵀ dA v — from the tracked power iteration (warm-started, as the tracked projection's;
    /// exact once it has converged). Biases are free; under projection every gradient passes unchanged.
    /// </summary>
    public IReadOnlyList<T> FreeParameterGradients(IReadOnlyList<T> controlGradients)
    {
        if (!Normalised) return controlGradients;
        var a = Engine.ToArray(Weights);
        var g = Engine.ToArray(controlGradients[0]);
        int size = Rows * Dim;
        for (int k = 0; k < Grid.Layers; k++)
        {
            var ak = a.AsSpan(k * size, size);
            var layer = ak.ToArray();
            double norm = Tracked(k, layer);
            if (!(norm > 0) || !double.IsFinite(norm)) continue;
            // v̂ from the carried vector AᵀA v̂_prev, u = A v̂ / ‖A v̂‖.
            var v = _tracked[k]!.ToArray();
            double length = Math.Sqrt(TensorPrimitives.Dot<double>(v, v));
            if (!(length > 0) || !double.IsFinite(length)) continue;
            TensorPrimitives.Divide(v, length, v);
            var u = new double[Rows];
            for (int r = 0; r < Rows; r++) u[r] = TensorPrimitives.Dot(layer.AsSpan(r * Dim, Dim), v);
            double sigma = Math.Sqrt(TensorPrimitives.Dot<double>(u, u));
            if (!(sigma > 0)) continue;
            TensorPrimitives.Divide(u, sigma, u);
            var gk = g.AsSpan(k * size, size);
            double along = TensorPrimitives.Dot<double>(gk, ak) / sigma;
            for (int r = 0; r < Rows; r++) TensorPrimitives.MultiplyAdd(v, -along * u[r], gk.Slice(r * Dim, Dim), gk.Slice(r * Dim, Dim));
        }
        return [Engine.FromValues(g, controlGradients[0], Grid.Layers, Rows, Dim), .. controlGradients.Skip(1)];
    }

    // ‖A v‖ after a few power steps v ← AᵀA v / ‖AᵀA v‖ from the carried vector (a lower bound of ‖A‖₂); the first call of
    // a run starts from a seeded random vector.
    private double Tracked(int layer, double[] a)
    {
        int iterations = TrackedIterations;
        if (_tracked[layer] is null)
        {
            var random = new Random(unchecked(0x5EED + layer));
            _tracked[layer] = Enumerable.Range(0, Dim).Select(_ => random.NextDouble() - 0.5).ToArray();
            iterations = TrackedStartIterations;
        }
        var v = _tracked[layer]!;
        var u = new double[Rows];
        double estimate = 0;
        for (int it = 0; it < iterations; it++)
        {
            double length = Math.Sqrt(v.Sum(x => x * x));
            if (length == 0 || !double.IsFinite(length)) break;
            for (int j = 0; j < Dim; j++) v[j] /= length;
            for (int r = 0; r < Rows; r++) u[r] = TensorPrimitives.Dot(a.AsSpan(r * Dim, Dim), v);
            estimate = Math.Sqrt(u.Sum(x => x * x));
            System.Array.Clear(v);
            for (int r = 0; r < Rows; r++) TensorPrimitives.MultiplyAdd(a.AsSpan(r * Dim, Dim), u[r], v, v);
        }
        return estimate;
    }

    private sealed class Linearization(GradientFlowField<T> f, int layer, double t, T x) : FieldLinearization<T>(f.Engine, layer, t, x)
    {
        private T _sigma = default!, _d1 = default!, _d2 = default!, _z = default!;
        private bool _hasZ, _hasSigma, _hasD1, _hasD2;
        private IEngine<T> E => f.Engine;
        private T A => f._layerWeights[Layer];
        private double S => f._signs[Layer];

        private T Z
        {
            get
            {
                if (!_hasZ) (_z, _hasZ) = (E.Linear(State, A, f._layerBiases[Layer]), true);
                return _z;
            }
        }

        private T Sigma
        {
            get
            {
                if (!_hasSigma) (_sigma, _hasSigma) = (E.Activate(f.Activation, Z), true);
                return _sigma;
            }
        }

        private T D1
        {
            get
            {
                if (!_hasD1) (_d1, _hasD1) = (E.ActivationDerivative(f.Activation, Z, Sigma), true);
                return _d1;
            }
        }

        private T D2
        {
            get
            {
                if (!_hasD2) (_d2, _hasD2) = (E.ActivationSecondDerivative(f.Activation, Z, Sigma, D1), true);
                return _d2;
            }
        }

        protected override void Forget()
        {
            (_z, _sigma, _d1, _d2) = (default!, default!, default!, default!);
            _hasZ = _hasSigma = _hasD1 = _hasD2 = false;
        }

        // s Aᵀσ(z), row by row: s σ(z) A.
        public override T Value() => E.Scale(E.MatMul(Sigma, A), S);

        // s Aᵀ(σ' ⊙ A v).
        public override T Jvp(T v) => E.Scale(E.MatMul(E.Multiply(D1, E.Linear(v, A, default)), A), S);

        // s[δAᵀσ(z) + Aᵀ(σ' ⊙ (δA x + δb))].
        public override T ControlJvp(IReadOnlyList<T> eta)
        {
            var value = E.MatMul(Sigma, eta[0]);
            E.AddInPlace(value, E.MatMul(E.Multiply(D1, E.Linear(State, eta[0], eta[1])), A));
            E.ScaleInPlace(value, S);
            return value;
        }

        public override T Vjp(T p, FieldCotangent<T>? controls)
        {
            var d1q = E.Multiply(D1, E.Linear(p, A, default));
            if (controls is not null) AddFirst(controls, p, d1q);
            return E.Scale(E.MatMul(d1q, A), S);
        }

        public override T SecondOrderVjp(T p, T v, FieldCotangent<T>? controls)
        {
            var q = E.Linear(p, A, default);
            var w = E.Linear(v, A, default);
            var d2wq = E.Multiply(E.Multiply(D2, w), q);
            if (controls is not null) AddSecond(controls, p, v, q, w, d2wq);
            return E.Scale(E.MatMul(d2wq, A), S);
        }

        public override (T First, T Second) SecondOrderReverse(T p, T m, T v, FieldCotangent<T>? first, FieldCotangent<T> second)
        {
            var q = E.Linear(p, A, default);
            var w = E.Linear(v, A, default);
            var d1q = E.Multiply(D1, q);
            var d2wq = E.Multiply(E.Multiply(D2, w), q);
            var d1r = E.Multiply(D1, E.Linear(m, A, default));
            // g_xᵀp = s Aᵀ(σ'⊙q); g_xᵀm + ∂ₓ(g_xᵀp)·v = s Aᵀ(σ'⊙Am + σ''⊙w⊙q).
            var x1 = E.Scale(E.MatMul(d1q, A), S);
            E.AddInPlace(d1r, d2wq);
            var x2 = E.Scale(E.MatMul(d1r, A), S);
            if (first is not null) AddFirst(first, p, d1q);
            // g_Aᵀm + ∂ₓ(g_Aᵀp)·v = s[σ(z)ᵀm + (σ'⊙Am + σ''⊙w⊙q)ᵀx + (σ'⊙w)ᵀp + (σ'⊙q)ᵀv], g_bᵀm + ∂ₓ(g_bᵀp)·v = s Σ(σ'⊙Am + σ''⊙w⊙q).
            E.AddTransposedMatMulInPlace(second[0], Sigma, m, S * second.Scale);
            E.AddTransposedMatMulInPlace(second[0], d1r, State, S * second.Scale);
            E.AddSumRowsInPlace(second[1], d1r, S * second.Scale);
            E.AddTransposedMatMulInPlace(second[0], E.Multiply(D1, w), p, S * second.Scale);
            E.AddTransposedMatMulInPlace(second[0], d1q, v, S * second.Scale);
            return (x1, x2);
        }

        // g_Aᵀp = s[σ(z)ᵀp + (σ'⊙q)ᵀx], g_bᵀp = s Σ σ'⊙q (batch sums).
        private void AddFirst(FieldCotangent<T> controls, T p, T d1q)
        {
            E.AddTransposedMatMulInPlace(controls[0], Sigma, p, S * controls.Scale);
            E.AddTransposedMatMulInPlace(controls[0], d1q, State, S * controls.Scale);
            E.AddSumRowsInPlace(controls[1], d1q, S * controls.Scale);
        }

        // ∂ₓ(g_Aᵀp)·v = s[(σ'⊙w)ᵀp + (σ''⊙w⊙q)ᵀx + (σ'⊙q)ᵀv], ∂ₓ(g_bᵀp)·v = s Σ σ''⊙w⊙q.
        private void AddSecond(FieldCotangent<T> controls, T p, T v, T q, T w, T d2wq)
        {
            E.AddTransposedMatMulInPlace(controls[0], E.Multiply(D1, w), p, S * controls.Scale);
            E.AddTransposedMatMulInPlace(controls[0], d2wq, State, S * controls.Scale);
            E.AddTransposedMatMulInPlace(controls[0], E.Multiply(D1, q), v, S * controls.Scale);
            E.AddSumRowsInPlace(controls[1], d2wq, S * controls.Scale);
        }
    }
}

/// <summary>Builds <see cref="GradientFlowField{T}"/> values, checking shapes, activation and rule before anything reaches an engine.</summary>
public static class GradientFlowField
{
    /// <summary>The field on TorchSharp tensors: A [N, m, d], b [N, m] on [0, T].</summary>
    public static Validation<Error, GradientFlowField<Tensor>> Create(Tensor weights, Tensor biases, double finalTime, Activation activation,
        IReadOnlyList<FlowDirection> directions, GradientFlowStepRule? rule = null) =>
        Create(TorchEngine.Instance, weights, biases, finalTime, activation, directions, rule);

    /// <summary>The field on any engine: A [N, m, d], b [N, m] on [0, T], one direction per layer (or one for all).</summary>
    public static Validation<Error, GradientFlowField<T>> Create<T>(IEngine<T> engine, T weights, T biases, double finalTime, Activation activation,
        IReadOnlyList<FlowDirection> directions, GradientFlowStepRule? rule = null)
    {
        rule ??= GradientFlowStepRule.Default;
        var errors = new List<Error>();
        var w = engine.Shape(weights);
        var b = engine.Shape(biases);
        if (w.Length != 3 || w[0] < 1 || w[1] < 1 || w[2] < 1)
            errors.Add(RobustNodeErrors.ShapeMismatch("weights", "[N, m, d]", ShapeText.Of(w)));
        else if (b.Length != 2 || b[0] != w[0] || b[1] != w[1])
            errors.Add(RobustNodeErrors.ShapeMismatch("biases", $"[{w[0]}, {w[1]}]", ShapeText.Of(b)));
        if (engine.Incompatibility(weights, biases) is { } problem) errors.Add(RobustNodeErrors.InvalidArgument("biases", $"{problem} (the weights')"));
        if (!(finalTime > 0) || !double.IsFinite(finalTime)) errors.Add(RobustNodeErrors.InvalidArgument("T", $"final time must be positive and finite, got {finalTime}"));
        long layers = w.Length == 3 ? w[0] : 0;
        if (directions.Count != 1 && directions.Count != layers)
            errors.Add(RobustNodeErrors.InvalidArgument("direction", $"expected one direction or one per layer ({layers}), got {directions.Count}"));
        if (directions.Contains(FlowDirection.Contractive) && !activation.Monotone)
            errors.Add(RobustNodeErrors.InvalidArgument("activation",
                Activation.NotAPotentialGradient(activation.Name)));
        if (!(activation.SlopeBound > 0) || !double.IsFinite(activation.SlopeBound))
            errors.Add(RobustNodeErrors.InvalidArgument("activation", $"'{activation.Name}' needs a finite positive slope bound, got {activation.SlopeBound}"));
        foreach (var reason in rule.Problems()) errors.Add(RobustNodeErrors.InvalidArgument("step rule", reason));
        if (errors.Count > 0) return Fail<Error, GradientFlowField<T>>(Seq(errors));
        var perLayer = directions.Count == 1 ? Enumerable.Repeat(directions[0], (int)layers).ToArray() : directions.ToArray();
        return Success<Error, GradientFlowField<T>>(
            new GradientFlowField<T>(engine, new LayerGrid((int)layers, finalTime), weights, biases, activation, perLayer, rule));
    }
}
