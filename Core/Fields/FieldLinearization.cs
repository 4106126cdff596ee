using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// The field's local derivatives at one point (layer k, time t, state x) — what an adjoint sweep asks for several
/// times at the same Runge–Kutta stage: the value g, the products with g_x, g_xᵀ, g_uᵀ, g_u, and the second-order
/// terms of DESIGN §1. A field with closed forms overrides <see cref="IVectorField.Linearize"/> so that what depends
/// only on the point (activations and their derivatives, the layer's control slices) is computed once per stage
/// instead of once per product. This default asks the field for each product.
/// </summary>
/// <remarks>Tensors it caches belong to the dispose scope that is current when they are first needed.</remarks>
public class FieldLinearization(IVectorField field, int layer, double t, Tensor x)
{
    /// <summary>The layer k.</summary>
    public int Layer { get; } = layer;
    /// <summary>The time t.</summary>
    public double Time { get; } = t;
    /// <summary>The state x [B, d].</summary>
    public Tensor State { get; } = x;

    /// <summary>g(u_k, t, x).</summary>
    public virtual Tensor Value() => field.Evaluate(Layer, Time, State);

    /// <summary>g_x s.</summary>
    public virtual Tensor Jvp(Tensor s) => field.Jvp(Layer, Time, State, s);

    /// <summary>g_u η for a direction η of the layer's control slices.</summary>
    public virtual Tensor ControlJvp(IReadOnlyList<Tensor> eta) => field.ControlJvp(Layer, Time, State, eta);

    /// <summary>(g_xᵀp, g_uᵀp).</summary>
    public virtual FieldCotangent Vjp(Tensor p) => field.Vjp(Layer, Time, State, p);

    /// <summary>g_xᵀp alone, for reverse sweeps that want no control gradient (e.g. the one that finds p(0)).</summary>
    public virtual Tensor StateVjp(Tensor p) => Vjp(p).State;

    /// <summary>(∂ₓ(g_xᵀp)·s, ∂ₓ(g_uᵀp)·s).</summary>
    public virtual FieldCotangent SecondOrderVjp(Tensor p, Tensor s) => field.SecondOrderVjp(Layer, Time, State, p, s);

    /// <summary>
    /// One stage of the second-order reverse sweep: First = (g_xᵀp, g_uᵀp) and
    /// Second = (g_xᵀm + ∂ₓ(g_xᵀp)·s, g_uᵀm + ∂ₓ(g_uᵀp)·s) — the cotangent of (x, u) and its tangent along s.
    /// </summary>
    public virtual (FieldCotangent First, FieldCotangent Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s)
    {
        var first = Vjp(p);
        var dot = Vjp(m);
        var second = SecondOrderVjp(p, s);
        return (first, new FieldCotangent(dot.State.add(second.State), dot.Controls.Zip(second.Controls, (a, b) => a.add(b)).ToArray()));
    }
}
