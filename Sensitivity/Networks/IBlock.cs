using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Sensitivity.Adjoints;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// A block of a network z ↦ B(z, θ) on batched states [B, …] of one engine. Its forward pass returns an
/// <see cref="IForwardSweep{T}"/> that offers the reverse sweep (VJP), the tangent sweep (JVP) and the
/// second-order reverse sweep — exactly what an ODE block's adjoint strategy offers — so the augmented
/// loss differentiates through any composition with the second-order adjoint inside ODE blocks and never
/// double backpropagation.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public interface IBlock<T>
{
    /// <summary>The engine the block computes with.</summary>
    IEngine<T> Engine { get; }

    /// <summary>Name used in reports and checkpoints.</summary>
    string Name { get; }

    /// <summary>The trainable parameters θ (possibly none).</summary>
    IReadOnlyList<T> Parameters { get; }

    /// <summary>The same block with other parameter values (same shapes).</summary>
    IBlock<T> WithParameters(IReadOnlyList<T> values);

    /// <summary>Checks that an input of this shape is accepted, naming the problem otherwise (before the engine sees it).</summary>
    Fin<long[]> OutputShape(long[] inputShape);

    /// <summary>Runs the block forwards, keeping what its reverse sweeps need.</summary>
    Fin<IForwardSweep<T>> Forward(T input);

    /// <summary>
    /// Whether every output row depends on its input row alone and any subset of rows goes through the same computation
    /// (no batch statistics, no step sizes chosen from the whole batch's error), so that a loss's sweeps may run on row
    /// blocks of the batch apart and their control sums be added. False unless a block says so.
    /// </summary>
    bool RowsIndependent => false;
}
