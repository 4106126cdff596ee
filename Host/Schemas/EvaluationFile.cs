namespace RobustNode.Host.Schemas;

/// <summary>
/// What <c>evaluate --out FILE.json</c> writes: <c>{ "model", "experiment", "engine", "test", "testCount", "norm", "epsilons",
/// "cleanAccuracy", "robustness": [curves], "attacks", "sanity" }</c>.
/// </summary>
public sealed record EvaluationFile(
    string Model,
    string Experiment,
    string Engine,
    string Test,
    int TestCount,
    string Norm,
    IReadOnlyList<double> Epsilons,
    double CleanAccuracy,
    IReadOnlyList<CurveJson> Robustness,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<AttackJson>? Attacks = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] SanityJson? Sanity = null);
