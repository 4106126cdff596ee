using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Continuous;

/// <summary>
/// The right-hand side of the backward adjoint ODEs on one layer, over the state tuple
/// (x?, s?, p, μ?, ū₁…, ū₂…):
/// x' = g (backsolve), s' = g_x s (backsolve, second order), p' = −g_xᵀp,
/// μ' = −g_xᵀμ − ∂ₓ(g_xᵀp)·s, ū₁' = −g_uᵀp, ū₂' = −(g_uᵀμ + ∂ₓ(g_uᵀp)·s)
/// (seed talk Lemma 1 and Theorem 2; DESIGN §1). Solved from t_{k+1} down to t_k with ū = 0 at t_{k+1},
/// so ū(t_k) = ∫ over the layer.
/// </summary>
internal sealed record AdjointSystem(IVectorField Field, bool CarriesStates, bool SecondOrder, bool AccumulatesFirst, bool AccumulatesSecond,
    ForwardTrajectory? Trajectory)
{
    /// <summary>Number of leading parts (x?, s?, p, μ?) before the control integrals.</summary>
    public int StateParts => (CarriesStates ? (SecondOrder ? 2 : 1) : 0) + (SecondOrder ? 2 : 1);

    /// <summary>The state tuple at the end of a layer: given parts plus zero control integrals.</summary>
    public Tensor[] Start(int layer, Tensor[] states)
    {
        var parts = new List<Tensor>(states);
        using var scope = NewDisposeScope(); // frees the slice views, once per layer
        if (AccumulatesFirst) parts.AddRange(Field.Controls.Select(c => zeros_like(c.Slice(layer)).MoveToOuterDisposeScope()));
        if (AccumulatesSecond) parts.AddRange(Field.Controls.Select(c => zeros_like(c.Slice(layer)).MoveToOuterDisposeScope()));
        return parts.ToArray();
    }

    /// <summary>The control integrals (ū₁, ū₂) of a finished layer.</summary>
    public (Tensor[] First, Tensor[] Second) Integrals(Tensor[] y)
    {
        int m = Field.Controls.Count, i = StateParts;
        var first = AccumulatesFirst ? y[i..(i + m)] : [];
        if (AccumulatesFirst) i += m;
        var second = AccumulatesSecond ? y[i..(i + m)] : [];
        return (first, second);
    }

    /// <remarks>
    /// Opens its own dispose scope and hands out only the derivative tuple: the solver evaluates the first stage of
    /// every layer outside its per-step scopes, so intermediates left in the caller's scope would pile up layer after
    /// layer (memory growing with N in backsolve mode).
    /// </remarks>
    public Tensor[] Rhs(int layer, double t, Tensor[] y)
    {
        using var scope = NewDisposeScope();
        int i = 0;
        Tensor x, s = null!;
        if (CarriesStates)
        {
            x = y[i++];
            if (SecondOrder) s = y[i++];
        }
        else
        {
            var at = Trajectory!.At(layer, t);
            x = at[0];
            if (SecondOrder) s = at[1];
        }
        var p = y[i++];
        var mu = SecondOrder ? y[i] : null;
        var point = Field.Linearize(layer, t, x);
        var result = new List<Tensor>(y.Length);
        if (CarriesStates)
        {
            result.Add(point.Value());
            if (SecondOrder) result.Add(point.Jvp(s));
        }
        if (!SecondOrder && !AccumulatesFirst)
        {
            result.Add(point.StateVjp(p).neg());
            return result.Select(r => r.MoveToOuterDisposeScope()).ToArray();
        }
        FieldCotangent cot, cotDot = null!;
        if (SecondOrder) (cot, cotDot) = point.SecondOrderReverse(p, mu!, s);
        else cot = point.Vjp(p);
        result.Add(cot.State.neg());
        if (SecondOrder) result.Add(cotDot.State.neg());
        if (AccumulatesFirst) result.AddRange(cot.Controls.Select(c => c.neg()));
        if (AccumulatesSecond) result.AddRange(cotDot.Controls.Select(c => c.neg()));
        return result.Select(r => r.MoveToOuterDisposeScope()).ToArray();
    }
}
