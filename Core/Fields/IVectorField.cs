using RobustNode.Core.Engines;

namespace RobustNode.Core.Fields;

/// <summary>
/// A vector field x' = g(u_k, t, x) with piecewise-constant controls over the layers of a grid, acting on batched
/// states [B, …] of one engine. Its value is <see cref="Evaluate"/>; everything the adjoints need — JVP, VJP and the
/// second-order terms of DESIGN §1 — is asked for through its linearization at a point (<see cref="Linearize"/>), in
/// closed form where known and by single-step autograd otherwise.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public interface IVectorField<T>
{
    /// <summary>The engine the field computes with.</summary>
    IEngine<T> Engine { get; }

    /// <summary>The layer grid (N layers on [0, T]).</summary>
    LayerGrid Grid { get; }

    /// <summary>State dimension d (number of features per sample).</summary>
    int Dim { get; }

    /// <summary>Shape of one sample's state: [d] for vectors, [C, H, W] for images.</summary>
    long[] StateShape { get; }

    /// <summary>The controls u.</summary>
    IReadOnlyList<ControlParameter<T>> Controls { get; }

    /// <summary>g(u_k, t, x).</summary>
    T Evaluate(int layer, double t, T x);

    /// <summary>
    /// The local derivatives at (layer, t, x), for the several products an adjoint sweep needs at one stage. The result
    /// is a workspace that <see cref="FieldLinearization{T}.At(int, double, T)"/> moves to other points.
    /// </summary>
    FieldLinearization<T> Linearize(int layer, double t, T x);

    /// <summary>The same field with other control values (same shapes), e.g. for training or finite differences.</summary>
    IVectorField<T> WithControls(IReadOnlyList<T> values);
}
