namespace RobustNode.Host.Schemas;

/// <summary>
/// What <c>evaluate --out FILE.json</c> writes: <c>{ "model", "experiment", "engine", "test", "testCount", "norm", "epsilons",
/// "cleanAccuracy", "robustness": [curves] }</c>.
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
    IReadOnlyList<CurveJson> Robustness);
