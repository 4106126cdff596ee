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
        if (AccumulatesFirst) parts.AddRange(Field.Controls.Select(c => zeros_like(c.Slice(layer))));
        if (AccumulatesSecond) parts.AddRange(Field.Controls.Select(c => zeros_like(c.Slice(layer))));
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

    public Tensor[] Rhs(int layer, double t, Tensor[] y)
    {
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
        var result = new List<Tensor>(y.Length);
        if (CarriesStates)
        {
            result.Add(Field.Evaluate(layer, t, x));
            if (SecondOrder) result.Add(Field.Jvp(layer, t, x, s));
        }
        var cot = Field.Vjp(layer, t, x, p);
        result.Add(cot.State.neg());
        FieldCotangent? cotMu = null, second = null;
        if (SecondOrder)
        {
            cotMu = Field.Vjp(layer, t, x, mu!);
            second = Field.SecondOrderVjp(layer, t, x, p, s);
            result.Add(cotMu.State.add(second.State).neg_());
        }
        if (AccumulatesFirst) result.AddRange(cot.Controls.Select(c => c.neg()));
        if (AccumulatesSecond) result.AddRange(cotMu!.Controls.Zip(second!.Controls, (a, b) => a.add(b).neg_()));
        return result.ToArray();
    }
}
