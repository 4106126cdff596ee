using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>A control parameter: the tensor of all layers (per-layer controls stack along dim 0) or one shared tensor.</summary>
/// <param name="Name">Name used in output files, e.g. "weights".</param>
/// <param name="Value">The parameter; for per-layer controls its first dimension is the layer.</param>
/// <param name="PerLayer">True for piecewise-constant controls u_k, false for a time-invariant parameter.</param>
public sealed record ControlParameter(string Name, Tensor Value, bool PerLayer)
{
    /// <summary>The slice u_k that acts on layer k.</summary>
    public Tensor Slice(int layer) => PerLayer ? Value[layer] : Value;
}

/// <summary>A vector-Jacobian product of the field: (g_xᵀp, g_uᵀp) with g_uᵀp summed over the batch, one tensor per parameter slice.</summary>
public sealed record FieldCotangent(Tensor State, IReadOnlyList<Tensor> Controls);

/// <summary>
/// A vector field x' = g(u_k, t, x) with piecewise-constant controls over the layers of a grid,
/// acting on batched states [B, d]. It exposes what the adjoints need: value, VJP, JVP and the
/// second-order terms of DESIGN §1 — in closed form where known, by single-step autograd otherwise.
/// </summary>
public interface IVectorField
{
    /// <summary>The layer grid (N layers on [0, T]).</summary>
    LayerGrid Grid { get; }

    /// <summary>State dimension d.</summary>
    int Dim { get; }

    /// <summary>The controls u.</summary>
    IReadOnlyList<ControlParameter> Controls { get; }

    /// <summary>g(u_k, t, x).</summary>
    Tensor Evaluate(int layer, double t, Tensor x);

    /// <summary>(g_xᵀ p, g_uᵀ p).</summary>
    FieldCotangent Vjp(int layer, double t, Tensor x, Tensor p);

    /// <summary>g_x s.</summary>
    Tensor Jvp(int layer, double t, Tensor x, Tensor s);

    /// <summary>g_u η for a direction η of the layer's control slices (forward sensitivity).</summary>
    Tensor ControlJvp(int layer, double t, Tensor x, IReadOnlyList<Tensor> eta);

    /// <summary>
    /// The Hessian-vector products of the scalar pᵀg in direction (s, 0):
    /// (∂ₓ(g_xᵀp)·s, ∂ₓ(g_uᵀp)·s).
    /// </summary>
    FieldCotangent SecondOrderVjp(int layer, double t, Tensor x, Tensor p, Tensor s);

    /// <summary>The same field with other control values (same shapes), e.g. for training or finite differences.</summary>
    IVectorField WithControls(IReadOnlyList<Tensor> values);

    /// <summary>
    /// The local derivatives at (layer, t, x), for the several products an adjoint sweep needs at one stage. Fields with
    /// closed forms share the work between the products; the default asks the field for each one.
    /// </summary>
    FieldLinearization Linearize(int layer, double t, Tensor x) => new(this, layer, t, x);
}
