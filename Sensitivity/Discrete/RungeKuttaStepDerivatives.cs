using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers.Integration;
using RobustNode.Solvers.Stepping;

namespace RobustNode.Sensitivity.Discrete;

/// <summary>
/// Exact derivatives of one explicit Runge–Kutta step Φ: x ↦ x + h Σ bᵢ Kᵢ, Kᵢ = g(u_k, t + cᵢh, Xᵢ),
/// Xᵢ = x + h Σⱼ&lt;ᵢ aᵢⱼ Kⱼ, propagated through the stages with the field's local derivatives (no graph
/// across steps). DESIGN §1, "Discrete (exact) versions".
/// </summary>
/// <remarks>
/// <para>Each sweep rebuilds a step's stages from its step-start state with the solver's own stage recurrence
/// (<see cref="RungeKuttaStages{T}"/>), linearizing the field at every stage argument, so that all products at a stage
/// share its activations. A stage's value is computed only where a later stage uses it.</para>
/// <para>An instance is the workspace of one sweep: stage recurrences, one linearization per stage, stage cotangents
/// and control cotangent buffers are allocated once and reused step after step. Control cotangents are added in place to
/// the layer's rows of the gradients.</para>
/// </remarks>
internal sealed class RungeKuttaStepDerivatives<T>
{
    private readonly ButcherTableau _tableau;
    private readonly IVectorField<T> _field;
    private readonly IEngine<T> _engine;
    private readonly RungeKuttaStages<T> _primal;
    private readonly RungeKuttaStages<T> _tangent;
    private readonly Linearizing _linearizing;
    private readonly Differentiating _differentiating;
    private readonly FieldLinearization<T>?[] _points;
    private readonly T[] _xbar, _xbarDot;
    private readonly bool[] _reached;
    private readonly FieldCotangent<T> _first, _second;
    private readonly T[] _eta;
    private readonly StageLinearizations<T>? _kept;
    private readonly T[] _arguments;

    /// <param name="tableau">The explicit Runge–Kutta method.</param>
    /// <param name="field">The field.</param>
    /// <param name="kept">Where the sweeps of one forward solve keep their stage linearizations (null: each sweep rebuilds them).</param>
    public RungeKuttaStepDerivatives(ButcherTableau tableau, IVectorField<T> field, StageLinearizations<T>? kept = null)
    {
        (_tableau, _field, _engine, _kept) = (tableau, field, field.Engine, kept);
        _arguments = new T[tableau.Stages];
        int s = tableau.Stages, m = field.Controls.Count;
        _primal = new RungeKuttaStages<T>(tableau, _engine);
        _tangent = new RungeKuttaStages<T>(tableau, _engine);
        _points = new FieldLinearization<T>?[s];
        _linearizing = new Linearizing(this);
        _differentiating = new Differentiating(this);
        _xbar = new T[s];
        _xbarDot = new T[s];
        _reached = new bool[s];
        _first = new FieldCotangent<T>(m);
        _second = new FieldCotangent<T>(m);
        _eta = new T[m];
    }

    /// <summary>Forward sensitivity of the step: σ' = Φ_x σ + Φ_u η (η: the controls' directions, whole, or null for none).</summary>
    /// <param name="index">The step's index on the tape.</param>
    /// <param name="step">The step.</param>
    /// <param name="sigma">σ at the step's start.</param>
    /// <param name="eta">The controls' directions, or null.</param>
    /// <param name="products">Where a state-only reverse sweep kept its stage cotangents p (or null): a stage that finds its p
    /// there takes it, adds ∂ₓ(g_uᵀp)·Ẋᵢ to <paramref name="paired"/> with its slope
    /// (<see cref="FieldLinearization{T}.Jvp(T, T, FieldCotangent{T})"/>), marks it in <paramref name="formed"/> and releases p.</param>
    /// <param name="paired">The tangent sweep's sums of ∂ₓ(g_uᵀp)·Ẋᵢ (with <paramref name="products"/>).</param>
    /// <param name="formed">Per step and stage, whether the stage added its term to <paramref name="paired"/>.</param>
    public T Tangent(int index, TapeStep<T> step, T sigma, IReadOnlyList<T>? eta = null, ReverseProducts<T>? products = null,
        ControlAccumulator<T>? paired = null, bool[]? formed = null)
    {
        using var scope = _engine.OpenScope();
        Stages(index, step);
        if (eta is not null)
            for (int j = 0; j < _eta.Length; j++) _eta[j] = _field.Controls[j].PerLayer ? _engine.Select(eta[j], step.Piece) : eta[j];
        _differentiating.AllSlopes = true;
        _differentiating.WithControls = eta is not null;
        if (eta is null && products is not null && paired is not null && formed is not null)
        {
            paired.Bind(_second, step.Piece);
            (_differentiating.Products, _differentiating.Formed, _differentiating.Index) = (products, formed, index);
        }
        _tangent.Run(_differentiating, step.T0, sigma, step.H);
        (_differentiating.Products, _differentiating.Formed) = (null, null);
        var result = _tangent.Combine(sigma, step.H, _tableau.B);
        Array.Clear(_eta);
        return _engine.Keep(result);
    }

    /// <summary>
    /// Reverse sweep of the step: λ = Φ_xᵀ λ' and ū += Φ_uᵀ λ', through the stages:
    /// K̄ᵢ = h bᵢ λ' + h Σⱼ&gt;ᵢ aⱼᵢ X̄ⱼ, (X̄ᵢ, ūᵢ) = (g_xᵀ K̄ᵢ, g_uᵀ K̄ᵢ) at Xᵢ, λ = λ' + Σ X̄ᵢ.
    /// </summary>
    /// <param name="index">The step's index on the tape.</param>
    /// <param name="step">The step.</param>
    /// <param name="lambdaNext">λ'.</param>
    /// <param name="gradient">Where Φ_uᵀλ' is added (null: the state-only sweep).</param>
    /// <param name="products">Where the state-only sweep keeps the stages' shared intermediates for the second-order sweep (or null).</param>
    public T Reverse(int index, TapeStep<T> step, T lambdaNext, ControlAccumulator<T>? gradient, ReverseProducts<T>? products = null)
    {
        using var scope = _engine.OpenScope();
        Stages(index, step);
        if (gradient is not null) gradient.Bind(_first, step.Piece);
        else products?.First?.Bind(_first, step.Piece);
        T lambda = default!;
        bool summed = false;
        for (int i = _tableau.Stages - 1; i >= 0; i--)
        {
            _reached[i] = _primal.TransposedSlope(i, lambdaNext, step.H, _xbar, _reached, out var kbar);
            if (!_reached[i]) continue;
            var point = _points[i]!;
            if (gradient is null && products is not null && point.SharesReverseProduct)
            {
                T product;
                if (products.First is not null && point.PairsControlTerms)
                {
                    // g_uᵀp as a by-product here, and p kept for the tangent sweep's ∂ₓ(g_uᵀp)·s.
                    _xbar[i] = point.StateVjp(kbar, out product, _first);
                    products.KeepCotangent(index, i, kbar, paired: true);
                }
                else
                {
                    _xbar[i] = point.StateVjp(kbar, out product);
                    if (products.KeepsCotangents && point.PairsControlTerms) products.KeepCotangent(index, i, kbar, paired: false);
                }
                products.Keep(index, i, product);
            }
            else _xbar[i] = gradient is null ? point.StateVjp(kbar) : point.Vjp(kbar, _first);
            lambda = Accumulate(lambda, summed, lambdaNext, _xbar[i], i == 0);
            summed = true;
        }
        Forget();
        return _engine.Keep(summed ? lambda : _engine.Clone(lambdaNext));
    }

    /// <summary>
    /// The tangent of the reverse sweep along a state tangent σ (forward-over-reverse), together with the
    /// reverse sweep itself: λ = Φ_xᵀλ', μ = Φ_xᵀμ' + ∂ₓ(Φ_xᵀλ')·σ, and
    /// ū₁ += Φ_uᵀλ', ū₂ += Φ_uᵀμ' + ∂ₓ(Φ_uᵀλ')·σ. Stage by stage:
    /// K̄̇ᵢ = h bᵢ μ' + h Σⱼ&gt;ᵢ aⱼᵢ X̄̇ⱼ, X̄̇ᵢ = g_xᵀK̄̇ᵢ + ∂ₓ(g_xᵀK̄ᵢ)·Ẋᵢ, ū̇ += g_uᵀK̄̇ᵢ + ∂ₓ(g_uᵀK̄ᵢ)·Ẋᵢ.
    /// </summary>
    /// <remarks>With <paramref name="products"/> (kept by a state-only reverse sweep from the same λ(T)), each stage takes its
    /// intermediate from there instead of computing it again, and releases it; the control terms paired with p that the
    /// reverse sweep (<see cref="ReverseProducts{T}.Paired"/>, when <paramref name="firstOrder"/> is its
    /// <see cref="ReverseProducts{T}.First"/>) and the tangent sweep (<paramref name="tangentFormed"/>, when
    /// <paramref name="secondOrder"/> holds its sums) added already are not added again. Without
    /// <paramref name="firstOrder"/> (null: ū₁ is not wanted) no stage forms g_uᵀp.</remarks>
    public (T Lambda, T Mu) SecondOrderReverse(int index, TapeStep<T> step, T sigma, T lambdaNext, T muNext,
        ControlAccumulator<T>? firstOrder, ControlAccumulator<T> secondOrder, ReverseProducts<T>? products = null,
        bool cotangentsFormed = false, bool[]? tangentFormed = null)
    {
        using var scope = _engine.OpenScope();
        Stages(index, step);
        // The stage tangents Ẋᵢ = σ + h Σ aᵢⱼ K̇ⱼ; K̇ⱼ only where a later stage needs it.
        _differentiating.AllSlopes = false;
        _differentiating.WithControls = false;
        _tangent.Run(_differentiating, step.T0, sigma, step.H);
        firstOrder?.Bind(_first, step.Piece);
        secondOrder.Bind(_second, step.Piece);
        T lambda = default!, mu = default!;
        bool summed = false;
        for (int i = _tableau.Stages - 1; i >= 0; i--)
        {
            _reached[i] = _primal.TransposedSlope(i, lambdaNext, step.H, _xbar, _reached, out var kbar);
            if (!_reached[i]) continue;
            _primal.TransposedSlope(i, muNext, step.H, _xbarDot, _reached, out var kbarDot);
            if (products is not null && products.TryTake(index, i, out var product))
            {
                int at = index * _tableau.Stages + i;
                var formed = (firstOrder is null || cotangentsFormed && products.Paired(index, i) ? PairedControlTerms.Cotangent : PairedControlTerms.None)
                    | (tangentFormed is not null && tangentFormed[at] ? PairedControlTerms.Tangent : PairedControlTerms.None);
                (_xbar[i], _xbarDot[i]) = _points[i]!.SecondOrderReverse(kbar, kbarDot, _tangent.Argument(i), _first, _second, product, formed);
                _engine.Release(product);
            }
            else (_xbar[i], _xbarDot[i]) = _points[i]!.SecondOrderReverse(kbar, kbarDot, _tangent.Argument(i), firstOrder is null ? null : _first, _second);
            lambda = Accumulate(lambda, summed, lambdaNext, _xbar[i], i == 0);
            mu = Accumulate(mu, summed, muNext, _xbarDot[i], i == 0);
            summed = true;
        }
        Forget();
        return summed ? (_engine.Keep(lambda), _engine.Keep(mu)) : (_engine.Keep(_engine.Clone(lambdaNext)), _engine.Keep(_engine.Clone(muNext)));
    }

    // λ = λ' + Σ X̄ᵢ in the stages' order: the first term makes the sum (one pass, not a copy of λ' and an addition), the
    // others add in place. A step whose only term is stage 0's (Euler) adds λ' to X̄₀ in place — no earlier stage reads
    // X̄₀, and X̄₀ + λ' = λ' + X̄₀ exactly — so the sum takes no state of its own.
    private T Accumulate(T sum, bool summed, T start, T term, bool lastStage)
    {
        if (summed)
        {
            _engine.AddInPlace(sum, term);
            return sum;
        }
        if (!lastStage || ValueIdentity<T>.Instance.Equals(term, start)) return _engine.Add(start, term);
        _engine.AddInPlace(term, start);
        return term;
    }

    // The primal stages of step `index`: linearizations at every Xᵢ (values only where a later stage uses them), moved
    // to the kept ones when an earlier sweep kept them, else built and, within the budget, kept for the later sweeps.
    private void Stages(int index, TapeStep<T> step)
    {
        int s = _tableau.Stages;
        if (_kept is not null && _kept.Has(index))
        {
            for (int i = 0; i < s; i++)
            {
                var x = _kept.Argument(index, i, step.Y0);
                double t = step.T0 + _tableau.C[i] * step.H;
                _points[i] = _points[i]?.At(step.Piece, t, x, _kept.Saved(index, i)) ?? _field.Linearize(step.Piece, t, x).At(step.Piece, t, x, _kept.Saved(index, i));
            }
            return;
        }
        _linearizing.Layer = step.Piece;
        _primal.Run(_linearizing, step.T0, step.Y0, step.H);
        if (_kept is null || !_kept.Wants(index, _points[0]!, step.Y0)) return;
        for (int i = 0; i < s; i++) _arguments[i] = _primal.Argument(i);
        _kept.Keep(index, step.Y0, _arguments, _points);
        Array.Clear(_arguments);
    }

    // Drops the references to this step's values (freed with its scope).
    private void Forget()
    {
        Array.Clear(_xbar);
        Array.Clear(_xbarDot);
        Array.Clear(_reached);
    }

    /// <summary>Stage function of the primal recurrence: moves stage i's linearization to (k, tᵢ, Xᵢ).</summary>
    private sealed class Linearizing(RungeKuttaStepDerivatives<T> owner) : IStageFunction<T>
    {
        public int Layer;

        public T Slope(int stage, double t, T x)
        {
            var point = owner._points[stage] = owner._points[stage]?.At(Layer, t, x) ?? owner._field.Linearize(Layer, t, x);
            return owner._tableau.FeedsLaterStage(stage) ? point.Value() : default!;
        }
    }

    /// <summary>Stage function of the tangent recurrence: K̇ᵢ = g_x(Xᵢ) Ẋᵢ (+ g_u(Xᵢ) η).</summary>
    private sealed class Differentiating(RungeKuttaStepDerivatives<T> owner) : IStageFunction<T>
    {
        public bool AllSlopes;
        public bool WithControls;
        // The reverse sweep's kept stage cotangents, and where the stages that take one mark it (the tangent sweep only).
        public ReverseProducts<T>? Products;
        public bool[]? Formed;
        public int Index;

        public T Slope(int stage, double t, T x)
        {
            if (!AllSlopes && !owner._tableau.FeedsLaterStage(stage)) return default!;
            var point = owner._points[stage]!;
            T slope;
            if (Products is not null && point.PairsControlTerms && Products.TryTakeCotangent(Index, stage, out var p))
            {
                slope = point.Jvp(x, p, owner._second);
                owner._engine.Release(p);
                Formed![Index * owner._tableau.Stages + stage] = true;
            }
            else slope = point.Jvp(x);
            if (WithControls) owner._engine.AddInPlace(slope, point.ControlJvp(owner._eta));
            return slope;
        }
    }
}
