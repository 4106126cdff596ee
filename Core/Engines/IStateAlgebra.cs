namespace RobustNode.Core.Engines;

/// <summary>
/// The engine seam: everything the Runge–Kutta stepper, the step-size controllers and the dense output
/// do with states goes through these few operations. TorchSharp tensors are the first engine
/// (<see cref="TorchEngine"/>); tuples of states lift any engine (<see cref="TupleAlgebra{T}"/>);
/// a managed SIMD engine for small dense states implements the same interface, with no change
/// to tableaux, controllers or validation.
/// </summary>
/// <typeparam name="T">The state type.</typeparam>
public interface IStateAlgebra<T>
{
    /// <summary>y + Σ wᵢ xᵢ (terms with wᵢ = 0 are skipped; the result is a new state).</summary>
    T AddScaled(T y, ReadOnlySpan<double> weights, ReadOnlySpan<T> terms);

    /// <summary>Σ wᵢ xᵢ (a new state; at least one term).</summary>
    T LinearCombination(ReadOnlySpan<double> weights, ReadOnlySpan<T> terms);

    /// <summary>
    /// Sum of squares of vᵢ / (atol + rtol·max(|yaᵢ|, |ybᵢ|)) and the number of components: the
    /// mixed relative/absolute RMS error norm is sqrt(sum / count) (Hairer, Nørsett &amp; Wanner I, II.4).
    /// </summary>
    (double SumOfSquares, long Count) ScaledSquares(T v, T ya, T yb, double rtol, double atol);

    /// <summary>True when every component is finite.</summary>
    bool IsFinite(T y);

    /// <summary>Opens a scope owning the temporaries created until it is disposed.</summary>
    IDisposable OpenScope();

    /// <summary>Lets a state outlive the innermost open scope.</summary>
    T Keep(T y);

    /// <summary>Frees a state the caller owns.</summary>
    void Release(T y);
}
