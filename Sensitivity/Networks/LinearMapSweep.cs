using LanguageExt;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers.Integration;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// The sweeps of a block that is a fixed linear map A without parameters (padding, pooling, a reshape, a permutation):
/// y = A x and ẏ = A ẋ forward, λ ↦ Aᵀλ and μ ↦ Aᵀμ back, no control cotangents, and no second-order term, since
/// A'' = 0 (DESIGN §5).
/// </summary>
internal sealed class LinearMapSweep<T> : IForwardSweep<T>
{
    private readonly Func<T, T> _map, _adjoint;

    /// <param name="input">The block's input x.</param>
    /// <param name="map">x ↦ A x.</param>
    /// <param name="adjoint">λ ↦ Aᵀ λ.</param>
    public LinearMapSweep(T input, Func<T, T> map, Func<T, T> adjoint) =>
        (Final, _map, _adjoint) = (map(input), map, adjoint);

    /// <inheritdoc/>
    public T Final { get; }
    /// <inheritdoc/>
    public SolveStatistics Statistics => SolveStatistics.Zero;
    /// <inheritdoc/>
    public Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls) => new ReverseResult<T>(_adjoint(lambdaT), [], SolveStatistics.Zero);
    /// <inheritdoc/>
    public Fin<ITangentSweep<T>> Tangent(T sigma0) => new TangentSweep(_map(sigma0), _adjoint);
    /// <inheritdoc/>
    public void Dispose() { }

    private sealed class TangentSweep(T sigmaOut, Func<T, T> adjoint) : ITangentSweep<T>
    {
        public T Final => sigmaOut;
        public SolveStatistics Statistics => SolveStatistics.Zero;
        public Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT) =>
            new SecondOrderReverseResult<T>(adjoint(lambdaT), adjoint(muT), [], [], SolveStatistics.Zero);
        public void Dispose() { }
    }
}
