using LanguageExt;
using RobustNode.Sensitivity.Adjoints;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// A block of a network z ↦ B(z, θ) on batched states [B, …]. Its forward pass returns an
/// <see cref="IForwardSweep"/> that offers the reverse sweep (VJP), the tangent sweep (JVP) and the
/// second-order reverse sweep — exactly what an ODE block's adjoint strategy offers — so the augmented
/// loss differentiates through any composition with the second-order adjoint inside ODE blocks and never
/// double backpropagation.
/// </summary>
public interface IBlock
{
    /// <summary>Name used in reports and checkpoints.</summary>
    string Name { get; }

    /// <summary>The trainable parameters θ (possibly none).</summary>
    IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The same block with other parameter values (same shapes).</summary>
    IBlock WithParameters(IReadOnlyList<Tensor> values);

    /// <summary>Checks that an input of this shape is accepted, naming the problem otherwise (before libtorch sees it).</summary>
    Fin<long[]> OutputShape(long[] inputShape);

    /// <summary>Runs the block forwards, keeping what its reverse sweeps need.</summary>
    Fin<IForwardSweep> Forward(Tensor input);
}
