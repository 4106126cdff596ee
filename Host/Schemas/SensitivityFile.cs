using System.Text.Json.Serialization;

namespace RobustNode.Host.Schemas;

/// <summary>
/// What <c>sensitivity</c> writes (DESIGN §4): <c>engine</c> (the engine that computed it), <c>mode</c>, <c>loss</c> J = mean ℓᵢ, <c>augmentedLoss</c> 𝒥,
/// <c>gradX0</c> = ∇_{x0} J [B][d], <c>inputSensitivity</c> = p(0) (row i = ∇_{x0ᵢ} ℓᵢ), the control gradients of J and
/// of 𝒥 under the names of the field's controls (<c>gradWeights</c>/<c>gradBiases</c> and
/// <c>augmentedGradWeights</c>/<c>augmentedGradBiases</c> for node-tanh, <c>gradA</c>/<c>augmentedGradA</c> for linear),
/// <c>stats</c>, and for a file with an <c>"objective"</c> the robust objective's <c>objective</c> (<see cref="ObjectiveJson"/>).
/// </summary>
internal sealed record SensitivityFile(
    string Engine,
    string Mode,
    double Loss,
    double AugmentedLoss,
    TensorValues GradX0,
    TensorValues InputSensitivity,
    [property: JsonPropertyOrder(1)] SolveStatsJson Stats,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TensorValues? GradWeights = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TensorValues? GradBiases = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonPropertyName("gradA")] TensorValues? GradA = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TensorValues? AugmentedGradWeights = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TensorValues? AugmentedGradBiases = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonPropertyName("augmentedGradA")] TensorValues? AugmentedGradA = null,
    [property: JsonPropertyOrder(2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ObjectiveJson? Objective = null)
{
    /// <summary>The names of the controls this file has keys for (<c>grad&lt;Name&gt;</c>, <c>augmentedGrad&lt;Name&gt;</c>).</summary>
    public static readonly IReadOnlyList<string> Controls = ["weights", "biases", "A"];

    /// <summary>The file with the gradients of J and 𝒥 with respect to one control set under its keys.</summary>
    public SensitivityFile WithControl(string name, TensorValues gradient, TensorValues augmented) => name switch
    {
        "weights" => this with { GradWeights = gradient, AugmentedGradWeights = augmented },
        "biases" => this with { GradBiases = gradient, AugmentedGradBiases = augmented },
        "A" => this with { GradA = gradient, AugmentedGradA = augmented },
        _ => throw new InvalidOperationException($"the sensitivity file has no keys for the control '{name}'; known: {string.Join(", ", Controls)}"),
    };
}

/// <summary>
/// A robust training objective of a problem file (<c>"objective"</c>): <c>name</c>, <c>settings</c> (every setting used),
/// <c>loss</c> (J on the clean batch), <c>value</c> (the objective) and its control gradients under the names of the field's
/// controls (<c>gradWeights</c>/<c>gradBiases</c> or <c>gradA</c>).
/// </summary>
internal sealed record ObjectiveJson(
    string Name,
    string Settings,
    double Loss,
    double Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TensorValues? GradWeights = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TensorValues? GradBiases = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonPropertyName("gradA")] TensorValues? GradA = null)
{
    /// <summary>The objective with its gradient with respect to one control set under its key.</summary>
    public ObjectiveJson WithControl(string name, TensorValues gradient) => name switch
    {
        "weights" => this with { GradWeights = gradient },
        "biases" => this with { GradBiases = gradient },
        "A" => this with { GradA = gradient },
        _ => throw new InvalidOperationException($"the sensitivity file has no keys for the control '{name}'; known: {string.Join(", ", SensitivityFile.Controls)}"),
    };
}
