using RobustNode.Core.Engines;

namespace RobustNode.Core.Fields;

/// <summary>
/// The field's local derivatives at one point (layer k, time t, state x): the one place where an adjoint sweep asks
/// for them — the value g, the products with g_x, g_xᵀ, g_u and g_uᵀ, and the second-order terms of DESIGN §1. A field
/// computes what depends only on the point (activations and their derivatives, the layer's control slices) once, when
/// first needed, and shares it between the products asked for at that point.
/// </summary>
/// <remarks>
/// <para>A linearization is a workspace: <see cref="At(int, double, T)"/> moves it to another point and forgets what it cached, so a
/// sweep makes one per Runge–Kutta stage and reuses them step after step instead of allocating new ones.</para>
/// <para>Values it returns or caches belong to the engine scope that is current when they are computed. Control
/// cotangents are not returned but added to a <see cref="FieldCotangent{T}"/> (when one is given), so that a stage's
/// contributions accumulate in place.</para>
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public abstract class FieldLinearization<T>
{
    /// <param name="engine">The engine the field computes with.</param>
    /// <param name="layer">The layer k.</param>
    /// <param name="t">The time t.</param>
    /// <param name="x">The state x [B, …].</param>
    protected FieldLinearization(IEngine<T> engine, int layer, double t, T x)
    {
        Engine = engine;
        (Layer, Time, State) = (layer, t, x);
    }

    /// <summary>The engine the field computes with.</summary>
    public IEngine<T> Engine { get; }

    /// <summary>The layer k.</summary>
    public int Layer { get; private set; }

    /// <summary>The time t.</summary>
    public double Time { get; private set; }

    /// <summary>The state x [B, …].</summary>
    public T State { get; private set; }

    /// <summary>Moves the linearization to another point, forgetting what it cached at the last one.</summary>
    public FieldLinearization<T> At(int layer, double t, T x)
    {
        (Layer, Time, State) = (layer, t, x);
        Forget();
        return this;
    }

    /// <summary>
    /// Moves the linearization to a point it was at before, reusing what <see cref="Save"/> handed out there (the
    /// point's activations and their derivatives) instead of computing it again: the same (layer, t, x) and the values
    /// of that call, in its order.
    /// </summary>
    /// <remarks>The linearization only reads the saved values: they stay owned by whoever kept them.</remarks>
    public FieldLinearization<T> At(int layer, double t, T x, ReadOnlySpan<T> saved)
    {
        At(layer, t, x);
        if (saved.Length != SavedCount)
            throw new ArgumentException($"a linearization of this field restores {SavedCount} saved values, got {saved.Length}", nameof(saved));
        if (saved.Length > 0) Restore(saved);
        return this;
    }

    /// <summary>
    /// How many values <see cref="Save"/> hands out: the intermediates at a point that the products of later sweeps
    /// reuse (0 when the field has none worth keeping, the default).
    /// </summary>
    public virtual int SavedCount => 0;

    /// <summary>
    /// Whether the values of <see cref="Save"/> restore the point without its state: after
    /// <see cref="At(int, double, T, ReadOnlySpan{T})"/> no product reads x, so whoever keeps a point need not keep x and
    /// may pass <c>default</c> for it (false by default).
    /// </summary>
    public virtual bool RestoresWithoutState => false;

    /// <summary>
    /// Writes the point's reusable intermediates (computing those not computed yet) into <paramref name="values"/>
    /// (<see cref="SavedCount"/> of them), so that a later sweep through the same point can hand them back to
    /// <see cref="At(int, double, T, ReadOnlySpan{T})"/> instead of recomputing them. They belong to the engine scope
    /// that is current when they were computed: a caller that keeps them past it takes them out (DetachFromScope) and
    /// releases them when done.
    /// </summary>
    public virtual void Save(Span<T> values) { }

    /// <summary>Takes the values of an earlier <see cref="Save"/> at this point as the cache (after <see cref="Forget"/>).</summary>
    protected virtual void Restore(ReadOnlySpan<T> saved) { }

    /// <summary>Drops the values cached at the previous point.</summary>
    protected virtual void Forget() { }

    /// <summary>g(u_k, t, x).</summary>
    public abstract T Value();

    /// <summary>g_x s.</summary>
    public abstract T Jvp(T s);

    /// <summary>g_u η for a direction η given as one slice per control parameter (the layer's slices of per-layer controls).</summary>
    public abstract T ControlJvp(IReadOnlyList<T> eta);

    /// <summary>g_xᵀp, and g_uᵀp (summed over the batch) added to <paramref name="controls"/> when it is given.</summary>
    public abstract T Vjp(T p, FieldCotangent<T>? controls);

    /// <summary>g_xᵀp alone, for reverse sweeps that want no control gradient (e.g. the one that finds p(0)).</summary>
    public T StateVjp(T p) => Vjp(p, null);

    /// <summary>
    /// Whether g_xᵀp has an intermediate that the second-order stage at the same point and the same p recomputes
    /// (W ∗ᵀ p for the convolutional field, g_xᵀp = σ'(x) ⊙ (W ∗ᵀ p)), so that a sweep may keep it from the reverse
    /// sweep for the second-order one (<see cref="StateVjp(T, out T)"/>, <see cref="SecondOrderReverse(T, T, T, FieldCotangent{T}, FieldCotangent{T}, T)"/>).
    /// False by default: then nothing is worth keeping.
    /// </summary>
    public virtual bool SharesReverseProduct => false;

    /// <summary>
    /// g_xᵀp alone, and in <paramref name="product"/> the intermediate <see cref="SharesReverseProduct"/> names (in the
    /// current scope; default: none).
    /// </summary>
    public virtual T StateVjp(T p, out T product)
    {
        product = default!;
        return Vjp(p, null);
    }

    /// <summary>
    /// The Hessian-vector products of the scalar pᵀg in direction (s, 0): returns ∂ₓ(g_xᵀp)·s and adds ∂ₓ(g_uᵀp)·s to
    /// <paramref name="controls"/> when it is given.
    /// </summary>
    public abstract T SecondOrderVjp(T p, T s, FieldCotangent<T>? controls);

    /// <summary>
    /// One stage of the second-order reverse sweep: returns (g_xᵀp, g_xᵀm + ∂ₓ(g_xᵀp)·s) — the cotangent of x and its
    /// tangent along s — and adds g_uᵀp to <paramref name="first"/> (unless it is null: the first-order control sums are not
    /// wanted) and g_uᵀm + ∂ₓ(g_uᵀp)·s to <paramref name="second"/>. This default composes <see cref="Vjp"/> and
    /// <see cref="SecondOrderVjp"/>; fields with closed forms share the products between the two.
    /// </summary>
    public virtual (T First, T Second) SecondOrderReverse(T p, T m, T s, FieldCotangent<T>? first, FieldCotangent<T> second)
    {
        var x1 = Vjp(p, first);
        var x2 = Vjp(m, second);
        using (Engine.OpenScope()) Engine.AddInPlace(x2, SecondOrderVjp(p, s, second));
        return (x1, x2);
    }

    /// <summary>
    /// <see cref="SecondOrderReverse(T, T, T, FieldCotangent{T}, FieldCotangent{T})"/> given the intermediate that
    /// <see cref="StateVjp(T, out T)"/> handed out for the same point and the same <paramref name="p"/>, so that it is
    /// not computed again (the caller keeps ownership). This default ignores it.
    /// </summary>
    public virtual (T First, T Second) SecondOrderReverse(T p, T m, T s, FieldCotangent<T> first, FieldCotangent<T> second, T product) =>
        SecondOrderReverse(p, m, s, first, second);

    /// <summary>
    /// Whether the field forms the control terms paired with p — g_uᵀp and ∂ₓ(g_uᵀp)·s — more cheaply as by-products of
    /// products the earlier sweeps compute anyway (<see cref="StateVjp(T, out T, FieldCotangent{T})"/> in the reverse sweep
    /// for p(0), <see cref="Jvp(T, T, FieldCotangent{T})"/> in the tangent sweep) than in the second-order stage (the
    /// convolutional field: as libtorch's weight gradients of W ∗ᵀ p and W ∗ (σ'(x) ⊙ s) instead of kernel correlations
    /// written as convolutions). False by default: then the second-order stage forms them.
    /// </summary>
    public virtual bool PairsControlTerms => false;

    /// <summary>
    /// <see cref="StateVjp(T, out T)"/> that also adds g_uᵀp to <paramref name="controls"/> (the intermediate, when the
    /// field <see cref="SharesReverseProduct"/>, in <paramref name="product"/>). This default computes g_xᵀp and g_uᵀp
    /// by <see cref="Vjp"/> and hands out no intermediate.
    /// </summary>
    public virtual T StateVjp(T p, out T product, FieldCotangent<T> controls)
    {
        product = default!;
        return Vjp(p, controls);
    }

    /// <summary>
    /// g_x s, and ∂ₓ(g_uᵀp)·s (the control part of the Hessian-vector product of pᵀg along (s, 0)) added to
    /// <paramref name="controls"/>: a tangent stage that also forms the second-order control term paired with p. This
    /// default composes <see cref="Jvp(T)"/> and <see cref="SecondOrderVjp"/>.
    /// </summary>
    public virtual T Jvp(T s, T p, FieldCotangent<T> controls)
    {
        using (Engine.OpenScope()) SecondOrderVjp(p, s, controls);
        return Jvp(s);
    }

    /// <summary>
    /// <see cref="SecondOrderReverse(T, T, T, FieldCotangent{T}, FieldCotangent{T}, T)"/> with the control terms named by
    /// <paramref name="formed"/> already added by the earlier sweeps (<see cref="StateVjp(T, out T, FieldCotangent{T})"/>,
    /// <see cref="Jvp(T, T, FieldCotangent{T})"/>) for the same point, p and s, so that they are not added again. With
    /// <see cref="PairedControlTerms.None"/> it is the overload without <paramref name="formed"/>; this default composes
    /// <see cref="Vjp"/> and <see cref="SecondOrderVjp"/> otherwise.
    /// </summary>
    public virtual (T First, T Second) SecondOrderReverse(T p, T m, T s, FieldCotangent<T> first, FieldCotangent<T> second, T product,
        PairedControlTerms formed)
    {
        if (formed == PairedControlTerms.None) return SecondOrderReverse(p, m, s, first, second, product);
        var x1 = Vjp(p, formed.HasFlag(PairedControlTerms.Cotangent) ? null : first);
        var x2 = Vjp(m, second);
        using (Engine.OpenScope()) Engine.AddInPlace(x2, SecondOrderVjp(p, s, formed.HasFlag(PairedControlTerms.Tangent) ? null : second));
        return (x1, x2);
    }
}
