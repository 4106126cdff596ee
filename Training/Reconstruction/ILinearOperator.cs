using LanguageExt;
using static TorchSharp.torch;

namespace RobustNode.Training.Reconstruction;

/// <summary>
/// A linear measurement operator A on grey-image batches [B, 1, H, W], with its exact adjoint Aᵀ
/// (⟨Ax, y⟩ = ⟨x, Aᵀy⟩) and a bound of ‖A‖₂², which is the Lipschitz constant of the gradient Aᵀ(Ax − y) of the data
/// term f(x) = ½‖Ax − y‖² and so sets the step sizes γ &lt; 2/L of forward–backward splitting.
/// </summary>
public interface ILinearOperator
{
    /// <summary>Name for reports ("gaussian-blur", "inpainting").</summary>
    string Name { get; }

    /// <summary>Canonical description of every setting.</summary>
    string Describe();

    /// <summary>Checks that images of this shape can be measured (before libtorch sees them).</summary>
    Fin<Unit> Accepts(long[] shape);

    /// <summary>A x, same shape as x.</summary>
    Tensor Apply(Tensor x);

    /// <summary>Aᵀ y, same shape as y.</summary>
    Tensor Adjoint(Tensor y);

    /// <summary>An upper bound L ≥ ‖A‖₂².</summary>
    double NormSquaredBound { get; }
}
