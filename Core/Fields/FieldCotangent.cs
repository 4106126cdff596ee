namespace RobustNode.Core.Fields;

/// <summary>
/// Where a field's control cotangents go: one buffer per control parameter, shaped like the parameter's slice of one
/// layer, to which a <see cref="FieldLinearization{T}"/> adds g_uᵀp (batch sums) scaled by <see cref="Scale"/>. A sweep
/// makes one per accumulated quantity and points its buffers at the current layer (the layer's rows of the gradient
/// for a discrete adjoint, the control integrals of an adjoint ODE for a continuous one), so that stage after stage adds
/// in place and nothing is allocated per stage.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class FieldCotangent<T>
{
    private readonly T[] _buffers;

    /// <param name="controls">Number of control parameters of the field.</param>
    /// <param name="scale">Factor of every contribution (−1 for the right-hand side of an adjoint ODE, ū' = −g_uᵀp).</param>
    public FieldCotangent(int controls, double scale = 1)
    {
        _buffers = new T[controls];
        Scale = scale;
    }

    /// <summary>Number of control parameters.</summary>
    public int Count => _buffers.Length;

    /// <summary>The factor of every contribution.</summary>
    public double Scale { get; }

    /// <summary>The buffer of control parameter j.</summary>
    public T this[int control]
    {
        get => _buffers[control];
        set => _buffers[control] = value;
    }
}
