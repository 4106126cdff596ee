using System.Text.Json.Serialization;

namespace RobustNode.Host.Schemas;

/// <summary>
/// An accuracy-versus-ε curve as every file holds it: <c>{ "attack", "testSamples"?, "points": [...] }</c>.
/// </summary>
/// <param name="Attack">The attack's name: <c>fgsm-inf</c>, <c>pgd20-inf</c>, <c>apgd-ce-inf</c>, <c>square-2</c>,
/// <c>worst-case-inf</c> (the worst case per sample over an attack suite), …</param>
/// <param name="Points">Accuracy at each radius, in the configured order.</param>
/// <param name="TestSamples">When the attack was scored on the first test samples only, how many.</param>
internal sealed record CurveJson(
    string Attack,
    [property: JsonPropertyOrder(1)] IReadOnlyList<CurvePointJson> Points,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TestSamples = null);

/// <summary>
/// One point of a curve: <c>{ "epsilon", "accuracy" }</c> for one model; over several seeds (the <c>sweep</c> verb)
/// also <c>mean</c>, <c>std</c> (sample standard deviation, n − 1) and the 95 % interval <c>ci95Low</c>,
/// <c>ci95High</c> (Student t with n − 1 degrees of freedom), and <c>accuracy</c> is the mean.
/// </summary>
internal sealed record CurvePointJson(
    double Epsilon,
    double Accuracy,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Mean = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Std = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Ci95Low = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Ci95High = null);
