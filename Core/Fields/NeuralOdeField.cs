using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Spectral;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// The neural-ODE field g(u_k, x) = W_k σ(x) + b_k with controls W [N, d, d], b [N, d]
/// (seed talk, eq. nODE), written once over the kernels of any engine. All derivatives are closed forms:
/// g_xᵀp = σ'(x) ⊙ Wᵀp, g_Wᵀp = p σ(x)ᵀ, g_bᵀp = p, g_x s = W(σ'(x) ⊙ s),
/// ∂ₓ(g_xᵀp)·s = σ''(x) ⊙ s ⊙ Wᵀp, ∂ₓ(g_Wᵀp)·s = p (σ'(x) ⊙ s)ᵀ, ∂ₓ(g_bᵀp)·s = 0.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class NeuralOdeField<T> : IVectorField<T>, ILipschitzField
{
    /// <inheritdoc/>
    public IEngine<T> Engine { get; }
    /// <inheritdoc/>
    public LayerGrid Grid { get; }
    /// <inheritdoc/>
    public int Dim { get; }
    /// <inheritdoc/>
    public long[] StateShape => [Dim];
    /// <summary>The activation σ in g(u_k, x) = W_k σ(x) + b_k.</summary>
    public Activation Activation { get; }
    /// <inheritdoc/>
    public IReadOnlyList<ControlParameter<T>> Controls { get; }
    /// <summary>W [N, d, d].</summary>
    public T Weights => Controls[0].Value;
    /// <summary>b [N, d].</summary>
    public T Biases => Controls[1].Value;

    private readonly T[] _layerWeights;
    private readonly T[] _layerBiases;

    internal NeuralOdeField(IEngine<T> engine, LayerGrid grid, T weights, T biases, Activation activation)
    {
        Engine = engine;
        Grid = grid;
        Dim = (int)engine.Shape(weights)[1];
        Activation = activation;
        Controls = [new ControlParameter<T>("weights", weights, true), new ControlParameter<T>("biases", biases, true)];
        // Per-layer views made once: slicing W[k], b[k] on every evaluation costs an engine call each time.
        // They share storage with the controls, so in-place parameter updates are seen.
        _layerWeights = new T[grid.Layers];
        _layerBiases = new T[grid.Layers];
        for (int k = 0; k < grid.Layers; k++)
        {
            _layerWeights[k] = engine.DetachFromScope(engine.Select(weights, k));
            _layerBiases[k] = engine.DetachFromScope(engine.Select(biases, k));
        }
    }

    /// <inheritdoc/>
    public T Evaluate(int layer, double t, T x)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Engine.Linear(Engine.Activate(Activation, x), _layerWeights[layer], _layerBiases[layer]));
    }

    /// <inheritdoc/>
    public IVectorField<T> WithControls(IReadOnlyList<T> values) => new NeuralOdeField<T>(Engine, Grid, values[0], values[1], Activation);

    /// <summary>The closed forms at one stage, with W_k, σ(x), σ'(x) and σ''(x) each computed once, when first needed.</summary>
    public FieldLinearization<T> Linearize(int layer, double t, T x) => new Linearization(this, layer, t, x);

    /// <summary>sup σ' · ‖W_k‖₂ (exact singular values): g is that Lipschitz in x on layer k.</summary>
    public double LipschitzConstant(int layer) => Activation.SlopeBound * DenseSpectrum.SpectralNorm(Engine.ToArray(_layerWeights[layer]), Dim, Dim);

    private sealed class Linearization(NeuralOdeField<T> f, int layer, double t, T x) : FieldLinearization<T>(f.Engine, layer, t, x)
    {
        private T _sigma = default!, _d1 = default!, _d2 = default!;
        private bool _hasSigma, _hasD1, _hasD2;
        private IEngine<T> E => f.Engine;
        private T W => f._layerWeights[Layer];

        private T Sigma
        {
            get
            {
                if (!_hasSigma) (_sigma, _hasSigma) = (E.Activate(f.Activation, State), true);
                return _sigma;
            }
        }

        private T D1
        {
            get
            {
                if (!_hasD1) (_d1, _hasD1) = (E.ActivationDerivative(f.Activation, f.Activation.DerivativeArgument(State, Sigma), Sigma), true);
                return _d1;
            }
        }

        private T D2
        {
            get
            {
                if (!_hasD2) (_d2, _hasD2) = (E.ActivationSecondDerivative(f.Activation, f.Activation.DerivativeArgument(State, Sigma), Sigma, D1), true);
                return _d2;
            }
        }

        protected override void Forget()
        {
            (_sigma, _d1, _d2) = (default!, default!, default!);
            _hasSigma = _hasD1 = _hasD2 = false;
        }

        // σ(x), and σ'(x) unless it is one elementwise step from σ(x) (tanh, sigmoid, ReLU, identity): what every
        // product at the point reads. Keeping one state-sized value per stage instead of three (x, σ, σ') keeps a deep
        // network's stages within the caches; σ' and σ'' are recomputed from it where a sweep needs them.
        public override int SavedCount => f.Activation.DerivativesFromValue ? 1 : 2;

        public override bool RestoresWithoutState => f.Activation.DerivativesFromValue;

        public override void Save(Span<T> values)
        {
            values[0] = Sigma;
            if (values.Length > 1) values[1] = D1;
        }

        protected override void Restore(ReadOnlySpan<T> saved)
        {
            (_sigma, _hasSigma) = (saved[0], true);
            if (saved.Length > 1) (_d1, _hasD1) = (saved[1], true);
        }

        public override T Value() => E.Linear(Sigma, W, f._layerBiases[Layer]);

        public override T Jvp(T s) => E.Linear(E.Multiply(D1, s), W, default);

        public override T ControlJvp(IReadOnlyList<T> eta) => E.Linear(Sigma, eta[0], eta[1]);

        public override T Vjp(T p, FieldCotangent<T>? controls)
        {
            var gx = E.Multiply(D1, E.MatMul(p, W));
            if (controls is not null) AddFirst(controls, p);
            return gx;
        }

        public override T SecondOrderVjp(T p, T s, FieldCotangent<T>? controls)
        {
            var d1s = E.Multiply(D1, s);
            var gx = E.Multiply(E.Multiply(D2, s), E.MatMul(p, W));
            if (controls is not null) E.AddTransposedMatMulInPlace(controls[0], p, d1s, controls.Scale);
            return gx;
        }

        public override (T First, T Second) SecondOrderReverse(T p, T m, T s, FieldCotangent<T>? first, FieldCotangent<T> second)
        {
            var (x1, x2) = E.SecondOrderPullback(p, m, W, s, D1, D2);
            if (first is not null) AddFirst(first, p);
            // ∂ₓ(g_Wᵀp)·s + g_Wᵀm = p (σ' ⊙ s)ᵀ + m σᵀ, g_bᵀm = Σ m (the biases' second-order term vanishes).
            E.AddTransposedMatMulInPlace(second[0], m, Sigma, second.Scale);
            E.AddTransposedMatMulInPlace(second[0], p, E.Multiply(D1, s), second.Scale);
            E.AddSumRowsInPlace(second[1], m, second.Scale);
            return (x1, x2);
        }

        // g_Wᵀp = pᵀσ(x) and g_bᵀp = Σ p, batch sums.
        private void AddFirst(FieldCotangent<T> controls, T p)
        {
            E.AddTransposedMatMulInPlace(controls[0], p, Sigma, controls.Scale);
            E.AddSumRowsInPlace(controls[1], p, controls.Scale);
        }
    }
}

/// <summary>Builds <see cref="NeuralOdeField{T}"/> values, checking shapes, dtypes and devices before anything reaches an engine.</summary>
public static class NeuralOdeField
{
    /// <summary>The field on TorchSharp tensors: W [N, d, d], b [N, d] on [0, T] (σ = tanh unless given).</summary>
    public static Validation<Error, NeuralOdeField<Tensor>> Create(Tensor weights, Tensor biases, double finalTime, Activation? activation = null) =>
        Create(TorchEngine.Instance, weights, biases, finalTime, activation);

    /// <summary>The field on any engine: W [N, d, d], b [N, d] on [0, T] (σ = tanh unless given).</summary>
    public static Validation<Error, NeuralOdeField<T>> Create<T>(IEngine<T> engine, T weights, T biases, double finalTime, Activation? activation = null)
    {
        var errors = new List<Error>();
        var w = engine.Shape(weights);
        var b = engine.Shape(biases);
        if (w.Length != 3 || w[1] != w[2] || w[0] < 1)
            errors.Add(RobustNodeErrors.ShapeMismatch("weights", "[N, d, d]", ShapeText.Of(w)));
        else if (b.Length != 2 || b[0] != w[0] || b[1] != w[1])
            errors.Add(RobustNodeErrors.ShapeMismatch("biases", $"[{w[0]}, {w[1]}]", ShapeText.Of(b)));
        if (engine.Incompatibility(weights, biases) is { } problem) errors.Add(RobustNodeErrors.InvalidArgument("biases", $"{problem} (the weights')"));
        if (!(finalTime > 0) || !double.IsFinite(finalTime)) errors.Add(RobustNodeErrors.InvalidArgument("T", $"final time must be positive and finite, got {finalTime}"));
        if (errors.Count > 0) return Fail<Error, NeuralOdeField<T>>(Seq(errors));
        return Success<Error, NeuralOdeField<T>>(
            new NeuralOdeField<T>(engine, new LayerGrid((int)w[0], finalTime), weights, biases, activation ?? Activation.Tanh));
    }
}
