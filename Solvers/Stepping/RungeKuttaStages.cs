using RobustNode.Core.Engines;
using RobustNode.Core.Tableaux;

namespace RobustNode.Solvers.Stepping;

/// <summary>
/// The stage recurrence of an explicit Runge–Kutta step, Xᵢ = y + h Σⱼ&lt;ᵢ aᵢⱼKⱼ, Kᵢ = f(t + cᵢh, Xᵢ), and its transpose,
/// K̄ᵢ = h bᵢ ȳ₁ + h Σⱼ&gt;ᵢ aⱼᵢ X̄ⱼ — the one place where a tableau's coefficients meet states. The forward step runs it on the
/// right-hand side; the discrete adjoint's sweeps run it on the field's linearizations (stage arguments), on its
/// Jacobian (stage tangents), and backwards through the transpose (stage cotangents).
/// </summary>
/// <remarks>
/// An instance is a workspace for one solve or sweep: the stage buffers and the weights are allocated once and reused
/// step after step. <see cref="Argument"/> and <see cref="Slope"/> hold the values of the last run; they belong to the
/// engine scope that was current during that run.
/// </remarks>
/// <typeparam name="T">The state type.</typeparam>
internal sealed class RungeKuttaStages<T>
{
    private readonly IStateAlgebra<T> _algebra;
    private readonly T[] _x;
    private readonly T[] _k;
    private readonly T[] _terms;
    private readonly double[] _weights;

    /// <summary>A workspace for the stages of <paramref name="tableau"/>: stage buffers and weights allocated once.</summary>
    /// <param name="tableau">The explicit Runge–Kutta method.</param>
    /// <param name="algebra">The state algebra the stages are combined with.</param>
    public RungeKuttaStages(ButcherTableau tableau, IStateAlgebra<T> algebra)
    {
        Tableau = tableau;
        _algebra = algebra;
        int s = tableau.Stages;
        _x = new T[s];
        _k = new T[s];
        _terms = new T[s + 1];
        _weights = new double[s + 1];
    }

    /// <summary>The scheme.</summary>
    public ButcherTableau Tableau { get; }

    /// <summary>The stage argument Xᵢ of the last run.</summary>
    public T Argument(int stage) => _x[stage];

    /// <summary>The slope Kᵢ of the last run (default where the stage function returned none).</summary>
    public T Slope(int stage) => _k[stage];

    /// <summary>
    /// Runs the recurrence from y at t with step h: for i = 1 … s, Xᵢ = y + h Σⱼ&lt;ᵢ aᵢⱼKⱼ and Kᵢ = f.Slope(i, t + cᵢh, Xᵢ). With
    /// <paramref name="hasFirstSlope"/>, K₁ = <paramref name="firstSlope"/> (f(t, y), already known) and f is not asked for it.
    /// Kⱼ is read only where a later stage uses it (aᵢⱼ ≠ 0), so a stage function may return default elsewhere.
    /// A stage argument with no contributing slope is y itself.
    /// </summary>
    public void Run(IStageFunction<T> f, double t, T y, double h, bool hasFirstSlope = false, T firstSlope = default!)
    {
        int s = Tableau.Stages;
        var a = Tableau.A;
        var w = _weights.AsSpan();
        for (int i = 0; i < s; i++)
        {
            T xi = y;
            if (i > 0)
            {
                bool any = false;
                for (int j = 0; j < i; j++)
                {
                    w[j] = h * a[i, j];
                    any |= w[j] != 0;
                }
                if (any) xi = _algebra.AddScaled(y, w[..i], _k.AsSpan(0, i));
            }
            _x[i] = xi;
            _k[i] = i == 0 && hasFirstSlope ? firstSlope : f.Slope(i, t + Tableau.C[i] * h, xi);
        }
    }

    /// <summary>y + h Σ wᵢKᵢ over the slopes of the last run, e.g. y₁ with w = b (a new state).</summary>
    public T Combine(T y, double h, IReadOnlyList<double> weights)
    {
        var w = _weights.AsSpan(0, weights.Count);
        for (int j = 0; j < weights.Count; j++) w[j] = h * weights[j];
        return _algebra.AddScaled(y, w, _k);
    }

    /// <summary>h Σ wᵢKᵢ over the slopes of the last run, e.g. the error estimate with w = b − b̂ (a new state).</summary>
    public T Combination(double h, IReadOnlyList<double> weights)
    {
        var w = _weights.AsSpan(0, weights.Count);
        for (int j = 0; j < weights.Count; j++) w[j] = h * weights[j];
        return _algebra.LinearCombination(w, _k);
    }

    /// <summary>
    /// One stage of the transposed recurrence: K̄ᵢ = h bᵢ ȳ₁ + h Σⱼ&gt;ᵢ aⱼᵢ X̄ⱼ from the cotangent ȳ₁ of the step's result and
    /// the stage cotangents X̄ⱼ of the later stages (whose <paramref name="reached"/> flag is set). Returns false, and no
    /// value, when stage i does not influence y₁ (every term vanishes); the reverse sweep then skips it.
    /// </summary>
    public bool TransposedSlope(int stage, T next, double h, ReadOnlySpan<T> stageCotangents, ReadOnlySpan<bool> reached, out T cotangent)
    {
        int s = Tableau.Stages, n = 0;
        var a = Tableau.A;
        if (Tableau.B[stage] != 0)
        {
            _weights[n] = h * Tableau.B[stage];
            _terms[n++] = next;
        }
        for (int j = stage + 1; j < s; j++)
        {
            if (a[j, stage] == 0 || !reached[j]) continue;
            _weights[n] = h * a[j, stage];
            _terms[n++] = stageCotangents[j];
        }
        if (n == 0)
        {
            cotangent = default!;
            return false;
        }
        cotangent = _algebra.LinearCombination(_weights.AsSpan(0, n), _terms.AsSpan(0, n));
        _terms.AsSpan(0, n).Clear();
        return true;
    }
}
