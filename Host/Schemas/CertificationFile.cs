namespace RobustNode.Host.Schemas;

/// <summary>
/// What <c>certify --out FILE.json</c> writes: <c>{ "model", "experiment", "engine", "test", "testCount", "norm",
/// "inputEntries", "lipschitz": { "bound", "factors" }, "cleanAccuracy", "curve": { "attack": "certified-…", "points" },
/// "samples": [{ "label", "prediction", "margin", "radius" }] }</c> — radii in input units (grey levels for images),
/// in the norm of <c>norm</c>.
/// </summary>
internal sealed record CertificationFile(
    string Model,
    string Experiment,
    string Engine,
    string Test,
    int TestCount,
    string Norm,
    long InputEntries,
    LipschitzJson Lipschitz,
    double CleanAccuracy,
    CurveJson Curve,
    IReadOnlyList<CertifiedSampleJson> Samples);

/// <summary>One test sample's certificate: <c>{ "label", "prediction", "margin", "radius" }</c>; it is certified at ε when label = prediction and radius &gt; ε.</summary>
internal sealed record CertifiedSampleJson(int Label, int Prediction, double Margin, double Radius);
