using RobustNode.Core.Engines;
using RobustNode.Core.Fields;

namespace RobustNode.Sensitivity.Continuous;

/// <summary>
/// The right-hand side of the backward adjoint ODEs on one layer, over the state tuple
/// (x?, s?, p, μ?, ū₁…, ū₂…):
/// x' = g (backsolve), s' = g_x s (backsolve, second order), p' = −g_xᵀp,
/// μ' = −g_xᵀμ − ∂ₓ(g_xᵀp)·s, ū₁' = −g_uᵀp, ū₂' = −(g_uᵀμ + ∂ₓ(g_uᵀp)·s)
/// (seed talk Lemma 1 and Theorem 2; DESIGN §1). Solved from t_{k+1} down to t_k with ū = 0 at t_{k+1},
/// so ū(t_k) = ∫ over the layer. The layer being solved is <see cref="Layer"/>.
/// </summary>
/// <remarks>
/// One instance serves a whole backward sweep: it keeps one linearization of the field, moved from point to point, and
/// the control cotangent buffers with factor −1 that the linearization adds the control rates to.
/// </remarks>
internal sealed class AdjointSystem<T>
{
    private readonly IEngine<T> _engine;
    private readonly long[][] _sliceShapes;
    private readonly FieldCotangent<T> _first, _second;
    private FieldLinearization<T>? _point;

    public AdjointSystem(IVectorField<T> field, bool carriesStates, bool secondOrder, bool accumulatesFirst, bool accumulatesSecond,
        ForwardTrajectory<T>? trajectory)
    {
        if (secondOrder && !(accumulatesFirst && accumulatesSecond))
            throw new ArgumentException("the second-order system accumulates both control integrals", nameof(accumulatesFirst));
        (Field, CarriesStates, SecondOrder, AccumulatesFirst, AccumulatesSecond, Trajectory) =
            (field, carriesStates, secondOrder, accumulatesFirst, accumulatesSecond, trajectory);
        _engine = field.Engine;
        int m = field.Controls.Count;
        _sliceShapes = new long[m][];
        for (int j = 0; j < m; j++)
        {
            var shape = _engine.Shape(field.Controls[j].Value);
            _sliceShapes[j] = field.Controls[j].PerLayer ? shape[1..] : shape;
        }
        _first = new FieldCotangent<T>(m, -1);
        _second = new FieldCotangent<T>(m, -1);
    }

    public IVectorField<T> Field { get; }
    public bool CarriesStates { get; }
    public bool SecondOrder { get; }
    public bool AccumulatesFirst { get; }
    public bool AccumulatesSecond { get; }
    public ForwardTrajectory<T>? Trajectory { get; }

    /// <summary>The layer whose adjoint ODE <see cref="Rhs"/> evaluates.</summary>
    public int Layer { get; set; }

    /// <summary>Number of leading parts (x?, s?, p, μ?) before the control integrals.</summary>
    public int StateParts => (CarriesStates ? (SecondOrder ? 2 : 1) : 0) + (SecondOrder ? 2 : 1);

    private int Parts => StateParts + (AccumulatesFirst ? Field.Controls.Count : 0) + (AccumulatesSecond ? Field.Controls.Count : 0);

    /// <summary>The state tuple at the end of a layer: given parts plus zero control integrals.</summary>
    public T[] Start(T[] states)
    {
        var parts = new T[Parts];
        int i = 0;
        foreach (var state in states) parts[i++] = state;
        int m = Field.Controls.Count;
        if (AccumulatesFirst) for (int j = 0; j < m; j++) parts[i++] = Zeros(j);
        if (AccumulatesSecond) for (int j = 0; j < m; j++) parts[i++] = Zeros(j);
        return parts;
    }

    private T Zeros(int control) => _engine.Zeros(Field.Controls[control].Value, _sliceShapes[control]);

    /// <summary>The control integrals (ū₁, ū₂) of a finished layer.</summary>
    public (T[] First, T[] Second) Integrals(T[] y)
    {
        int m = Field.Controls.Count, i = StateParts;
        var first = AccumulatesFirst ? y[i..(i + m)] : [];
        if (AccumulatesFirst) i += m;
        var second = AccumulatesSecond ? y[i..(i + m)] : [];
        return (first, second);
    }

    /// <summary>The rates of the state tuple at time t of <see cref="Layer"/> (the piece index of the one-layer solve is ignored).</summary>
    /// <remarks>
    /// Opens its own scope and hands out only the derivative tuple: the solver evaluates the first stage of
    /// every layer outside its per-step scopes, so intermediates left in the caller's scope would pile up layer after
    /// layer (memory growing with N in backsolve mode).
    /// </remarks>
    public T[] Rhs(int piece, double t, T[] y)
    {
        var e = _engine;
        var result = new T[y.Length];
        using var scope = e.OpenScope();
        int i = 0, r = 0, m = Field.Controls.Count;
        T x, s = default!;
        if (CarriesStates)
        {
            x = y[i++];
            if (SecondOrder) s = y[i++];
        }
        else
        {
            var at = Trajectory!.At(Layer, t);
            x = at[0];
            if (SecondOrder) s = at[1];
        }
        var p = y[i++];
        var mu = SecondOrder ? y[i] : default!;
        var point = _point = _point?.At(Layer, t, x) ?? Field.Linearize(Layer, t, x);
        if (CarriesStates)
        {
            result[r++] = e.Keep(point.Value());
            if (SecondOrder) result[r++] = e.Keep(point.Jvp(s));
        }
        if (!SecondOrder && !AccumulatesFirst)
        {
            result[r] = e.Keep(e.Scale(point.StateVjp(p), -1));
            return result;
        }
        int firstAt = r + (SecondOrder ? 2 : 1), secondAt = firstAt + m;
        for (int j = 0; j < m; j++) _first[j] = result[firstAt + j] = e.Keep(Zeros(j));
        if (SecondOrder)
        {
            for (int j = 0; j < m; j++) _second[j] = result[secondAt + j] = e.Keep(Zeros(j));
            var (xbar, xbarDot) = point.SecondOrderReverse(p, mu, s, _first, _second);
            result[r++] = e.Keep(e.Scale(xbar, -1));
            result[r] = e.Keep(e.Scale(xbarDot, -1));
        }
        else result[r] = e.Keep(e.Scale(point.Vjp(p, _first), -1));
        for (int j = 0; j < m; j++) _first[j] = _second[j] = default!;
        return result;
    }
}
