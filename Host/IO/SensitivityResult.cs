using System.Text.Json;
using RobustNode.Sensitivity.Problems;
using static TorchSharp.torch;

namespace RobustNode.Host.IO;

/// <summary>
/// What the <c>sensitivity</c> verb writes (DESIGN §4): loss J = mean ℓᵢ and augmented loss 𝒥; gradX0 = ∇_{x0} J [B][d]
/// and inputSensitivity = p(0) (row i = ∇_{x0ᵢ} ℓᵢ = B·gradX0ᵢ); the control gradients of J and of 𝒥 under the
/// names of the field's controls (gradWeights/gradBiases or gradA, augmentedGrad…); the engine that computed them; and
/// the work done. The gradients are TorchSharp tensors (converted at the edge from the engine's values).
/// </summary>
public sealed record SensitivityResult(AugmentedGradient<Tensor> Gradient, IReadOnlyList<string> ControlNames, string Mode, double WallTimeMs, long PeakMemoryBytes,
    string Engine)
{
    private static string Capitalised(string name) => char.ToUpperInvariant(name[0]) + name[1..];

    /// <summary>The result as indented UTF-8 JSON.</summary>
    public byte[] ToJson()
    {
        var first = Gradient.FirstOrder;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("engine", Engine);
            json.WriteString("mode", Mode);
            json.WriteNumber("loss", first.Loss);
            json.WriteNumber("augmentedLoss", Gradient.AugmentedLoss);
            using (var scope = NewDisposeScope())
                JsonTensor.Write(json, "gradX0", first.InputSensitivity / first.InputSensitivity.shape[0]);
            JsonTensor.Write(json, "inputSensitivity", first.InputSensitivity);
            for (int i = 0; i < ControlNames.Count; i++)
                JsonTensor.Write(json, "grad" + Capitalised(ControlNames[i]), first.ControlGradients[i]);
            for (int i = 0; i < ControlNames.Count; i++)
                JsonTensor.Write(json, "augmentedGrad" + Capitalised(ControlNames[i]), Gradient.AugmentedControlGradients[i]);
            json.WriteStartObject("stats");
            json.WriteNumber("functionEvaluations", first.Statistics.FunctionEvaluations);
            json.WriteNumber("acceptedSteps", first.Statistics.AcceptedSteps);
            json.WriteNumber("rejectedSteps", first.Statistics.RejectedSteps);
            json.WriteNumber("wallTimeMs", Math.Round(WallTimeMs, 3));
            json.WriteNumber("peakMemoryBytes", PeakMemoryBytes);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
