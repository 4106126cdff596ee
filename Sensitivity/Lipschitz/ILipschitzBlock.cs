using LanguageExt;

namespace RobustNode.Sensitivity.Lipschitz;

/// <summary>
/// A block that states a bound of its own ℓ2 Lipschitz constant (for blocks that <see cref="LipschitzBounds"/> does not
/// know by type). The input shape is the block's input [B, …], for blocks whose bound depends on the image size.
/// </summary>
public interface ILipschitzBlock
{
    /// <summary>A bound L with ‖B(x) − B(y)‖₂ ≤ L‖x − y‖₂ per sample, or why none is known.</summary>
    Fin<LipschitzBound> LipschitzBound(long[] inputShape);
}
