using System.Text.Json.Serialization;

namespace RobustNode.Host.Schemas;

/// <summary>
/// What <c>evaluate --out FILE.json</c> writes: <c>{ "model", "experiment", "engine", "test", "testCount", "norm", "epsilons",
/// "cleanAccuracy", "robustness": [curves], "lipschitz"?, "attacks", "sanity" }</c> — "lipschitz" the model's ℓ2 Lipschitz
/// bound behind the certified curve, when it has one.
/// </summary>
internal sealed record EvaluationFile(
    string Model,
    string Experiment,
    string Engine,
    string Test,
    int TestCount,
    string Norm,
    IReadOnlyList<double> Epsilons,
    double CleanAccuracy,
    IReadOnlyList<CurveJson> Robustness,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LipschitzJson? Lipschitz = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<AttackJson>? Attacks = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SanityJson? Sanity = null);
