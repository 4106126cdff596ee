using System.Text.Json.Serialization;

namespace RobustNode.Host.Schemas;

/// <summary>
/// The sanity checks of one model's evaluation: <c>{ "worstCaseSamples", "coveringRadius", "coveringSamples", "chance",
/// "worstCaseAtCoveringRadius", "atCoveringRadius": { attack: accuracy }, "checks": [...] }</c> — the covering-radius
/// fields only when that check ran.
/// </summary>
/// <param name="WorstCaseSamples">The first test samples the worst case is measured on (the ones every attack saw).</param>
/// <param name="CoveringRadius">The radius that covers the data (input units).</param>
/// <param name="CoveringSamples">The samples checked there.</param>
/// <param name="Chance">The share of the most frequent class among them.</param>
/// <param name="WorstCaseAtCoveringRadius">The worst case per sample at the covering radius.</param>
/// <param name="AtCoveringRadius">Each attack's accuracy at the covering radius.</param>
/// <param name="Checks">Every check in words.</param>
internal sealed record SanityJson(
    int WorstCaseSamples,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? CoveringRadius,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? CoveringSamples,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Chance,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? WorstCaseAtCoveringRadius,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? AtCoveringRadius,
    IReadOnlyList<SanityCheckJson> Checks);

/// <summary>One check: <c>{ "check": "monotone" | "covering-radius" | "gradient-free-gap", "passed", "message", "attack"?, "epsilon"? }</c>.</summary>
internal sealed record SanityCheckJson(
    string Check,
    bool Passed,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Attack = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Epsilon = null);

/// <summary>
/// An evaluation attack as run: <c>{ "name", "settings", "testSamples"? }</c>, e.g. <c>apgd-ce-inf</c>,
/// <c>iterations=20, restarts=1, seed=0</c>.
/// </summary>
internal sealed record AttackJson(
    string Name,
    string Settings,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TestSamples = null);
