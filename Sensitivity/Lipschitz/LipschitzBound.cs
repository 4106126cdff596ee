namespace RobustNode.Sensitivity.Lipschitz;

/// <summary>
/// An upper bound L of a block's Lipschitz constant in the ℓ2 norm, ‖B(x) − B(y)‖₂ ≤ L‖x − y‖₂ for all inputs, with the
/// factors it is the product of (one per block of a network, in order).
/// </summary>
/// <param name="Value">L.</param>
/// <param name="Factors">The blocks' own bounds; their product is <see cref="Value"/>.</param>
public sealed record LipschitzBound(double Value, IReadOnlyList<BlockLipschitz> Factors)
{
    /// <summary>The bound of one block, as its only factor.</summary>
    public static LipschitzBound Of(string block, double bound, string reason) => new(bound, [new BlockLipschitz(block, bound, reason)]);

    /// <summary>The product of bounds of blocks applied one after the other.</summary>
    public static LipschitzBound Product(IEnumerable<LipschitzBound> parts)
    {
        var factors = parts.SelectMany(p => p.Factors).ToArray();
        return new LipschitzBound(factors.Aggregate(1.0, (l, f) => l * f.Bound), factors);
    }
}

/// <summary>The bound of one block and how it was obtained (for reports: "‖W‖₂", "Euler steps of a gradient flow").</summary>
/// <param name="Block">The block's name.</param>
/// <param name="Bound">Its Lipschitz bound.</param>
/// <param name="Reason">How the bound was obtained.</param>
public sealed record BlockLipschitz(string Block, double Bound, string Reason);
