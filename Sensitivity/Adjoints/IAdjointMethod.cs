using LanguageExt;
using RobustNode.Core.Fields;
using RobustNode.Solvers;
using RobustNode.Solvers.Integration;

namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// How derivatives of a discretized neural ODE block x(T) = Φ(x₀, u) are computed: a strategy passed in as a
/// value (<see cref="AdjointMode"/>), exposing the four sweeps of DESIGN §1 as composable steps, each taking
/// terminal cotangents rather than a loss so that blocks compose into networks. The solver never knows which
/// strategy is used, and the strategy runs on whatever engine the field computes with.
/// </summary>
public interface IAdjointMethod
{
    /// <summary>Name used in files and reports.</summary>
    string Name { get; }

    /// <summary>Sweep 1: solves x forwards from x₀ [B, …], keeping what the strategy needs.</summary>
    Fin<IForwardSweep<T>> Forward<T>(IVectorField<T> field, OdeSolver solver, T x0);
}

/// <summary>A forward solve kept for the reverse sweeps (states, checkpoints, or only x(T)).</summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public interface IForwardSweep<T> : IDisposable
{
    /// <summary>x(T).</summary>
    T Final { get; }

    /// <summary>Work done so far (forward solve and any recomputation).</summary>
    SolveStatistics Statistics { get; }

    /// <summary>
    /// Sweep 2: λ(0) = Φ_xᵀ λ(T) and, if asked, Φ_uᵀ λ(T) summed over the batch (continuous: p' = −g_xᵀp,
    /// ∫ g_uᵀp dt; discrete: through every step and stage).
    /// </summary>
    Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls);

    /// <summary>
    /// Sweep 2 without control cotangents, when a tangent sweep and a second-order reverse sweep (sweep 4) from the same
    /// λ(T) follow (the input sensitivities of an augmented or seeded gradient): the sweep may keep what sweep 4 would
    /// compute again at every stage (W ∗ᵀ p of a convolutional field), released as sweep 4 takes it or with the sweep.
    /// By default, <see cref="Reverse"/> without controls.
    /// </summary>
    Fin<ReverseResult<T>> ReverseBeforeSecondOrder(T lambdaT) => Reverse(lambdaT, false);

    /// <summary>
    /// Sweep 2 with control cotangents when λ(0) is not wanted — the input is data, as in a training step: a block may
    /// skip the product that forms λ(0) (a convolution's transposed convolution to the images) and return an empty value
    /// in its place, which the caller does not read. By default, <see cref="Reverse"/> with controls.
    /// </summary>
    Fin<ReverseResult<T>> ReverseForControls(T lambdaT) => Reverse(lambdaT, true);

    /// <summary>
    /// <see cref="ReverseBeforeSecondOrder"/> when the second-order sweep that follows wants no first-order control sums
    /// (<see cref="ITangentSweep{T}.ReverseForSecondOrderControls"/>): a field that pairs its control terms with the stage
    /// cotangents keeps them for the tangent sweep but forms no g_uᵀp here. By default, <see cref="ReverseBeforeSecondOrder"/>.
    /// </summary>
    Fin<ReverseResult<T>> ReverseBeforeSecondOrderControls(T lambdaT) => ReverseBeforeSecondOrder(lambdaT);

    /// <summary>Sweep 3: the tangent σ(T) = Φ_x σ(0) (s' = g_x s), kept for the second-order reverse sweep.</summary>
    Fin<ITangentSweep<T>> Tangent(T sigma0);
}

/// <summary>A tangent solve s' = g_x s kept for the second-order reverse sweep.</summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public interface ITangentSweep<T> : IDisposable
{
    /// <summary>σ(T).</summary>
    T Final { get; }

    /// <summary>Work done by the tangent solve.</summary>
    SolveStatistics Statistics { get; }

    /// <summary>
    /// Sweep 4: the reverse sweep and its tangent along σ (forward-over-reverse):
    /// λ(0) = Φ_xᵀλ(T), μ(0) = Φ_xᵀμ(T) + ∂ₓ(Φ_xᵀλ(T))·σ, ū₁ = Φ_uᵀλ(T), ū₂ = Φ_uᵀμ(T) + ∂ₓ(Φ_uᵀλ(T))·σ (batch sums).
    /// </summary>
    Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT);

    /// <summary>
    /// Sweep 4 when λ(0) and μ(0) are not wanted — the input is data, as in a training step: a block may skip the products
    /// that form them and return empty values in their place, which the caller does not read. By default, <see cref="Reverse"/>.
    /// </summary>
    Fin<SecondOrderReverseResult<T>> ReverseForControls(T lambdaT, T muT) => Reverse(lambdaT, muT);

    /// <summary>
    /// Sweep 4 for ū₂ = Φ_uᵀμ(T) + ∂ₓ(Φ_uᵀλ(T))·σ alone: a block may skip the first-order sums ū₁ (its result's
    /// <see cref="SecondOrderReverseResult{T}.Controls"/> are then empty, and are not to be read either way), and, without
    /// <paramref name="inputCotangents"/>, λ(0) and μ(0) as in <see cref="ReverseForControls(T, T)"/>. A training step
    /// wants only Σ∇ℓ + w ∇Ψ, which is ū₂ alone when σ is the tangent of w·v and the sweep starts from λ(T) + w μ(T)
    /// (<see cref="Networks.LossDerivatives.AugmentedControlGradient{T}"/>). By default, <see cref="Reverse"/> or
    /// <see cref="ReverseForControls(T, T)"/>.
    /// </summary>
    Fin<SecondOrderReverseResult<T>> ReverseForSecondOrderControls(T lambdaT, T muT, bool inputCotangents) =>
        inputCotangents ? Reverse(lambdaT, muT) : ReverseForControls(lambdaT, muT);
}

/// <summary>Result of sweep 2: λ(0) and the control cotangents (empty when not asked for).</summary>
public sealed record ReverseResult<T>(T Lambda0, IReadOnlyList<T> Controls, SolveStatistics Statistics);

/// <summary>Result of sweep 4.</summary>
public sealed record SecondOrderReverseResult<T>(T Lambda0, T Mu0, IReadOnlyList<T> Controls, IReadOnlyList<T> SecondOrderControls,
    SolveStatistics Statistics);
