namespace RobustNode.Host.Schemas;

/// <summary>
/// A model's ℓ2 Lipschitz bound as files hold it: <c>{ "bound", "factors": [{ "block", "bound", "reason" }] }</c>, the
/// bound being the product of its blocks' factors.
/// </summary>
internal sealed record LipschitzJson(double Bound, IReadOnlyList<LipschitzFactorJson> Factors)
{
    /// <summary>The schema of a bound.</summary>
    public static LipschitzJson From(Sensitivity.Lipschitz.LipschitzBound bound) =>
        new(bound.Value, bound.Factors.Select(f => new LipschitzFactorJson(f.Block, f.Bound, f.Reason)).ToArray());
}

/// <summary>One block's factor of a Lipschitz bound: <c>{ "block", "bound", "reason" }</c>.</summary>
internal sealed record LipschitzFactorJson(string Block, double Bound, string Reason);
