using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace RobustNode.Tests.Oracles;

/// <summary>
/// Runs <c>Oracles/pytorch_reference.py</c> on a list of problem files (DESIGN §4 format) in one Python process and
/// returns its answers: J, 𝒥, ∇_{x₀} J and the first- and second-order control gradients, by PyTorch autograd and
/// double backpropagation through the same Runge–Kutta recursion.
/// </summary>
public static class PyTorchReference
{
    public static string Script => Path.Combine(AppContext.BaseDirectory, "Oracles", "pytorch_reference.py");

    public static IReadOnlyList<JsonObject> Solve(IReadOnlyList<JsonObject> problems)
    {
        var folder = Directory.CreateTempSubdirectory("robustnode-oracle-");
        try
        {
            var input = Path.Combine(folder.FullName, "problems.json");
            var output = Path.Combine(folder.FullName, "answers.json");
            File.WriteAllText(input, new JsonArray(problems.Select(p => (JsonNode)p.DeepClone()).ToArray()).ToJsonString());
            using var process = Process.Start(new ProcessStartInfo(PyTorchFactAttribute.Python, [Script, input, output])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"the PyTorch oracle failed ({process.ExitCode}): {stderr}{stdout.Result}");
            return JsonNode.Parse(File.ReadAllText(output))!.AsArray().Select(n => n!.AsObject()).ToArray();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>A tensor as nested JSON arrays (row-major).</summary>
    public static JsonNode ToJson(Tensor t)
    {
        using var scope = NewDisposeScope();
        if (t.dim() == 0) return JsonValue.Create(t.dtype == ScalarType.Int64 ? t.item<long>() : t.to(float64).item<double>())!;
        return new JsonArray(Enumerable.Range(0, (int)t.shape[0]).Select(i => ToJson(t[i])).ToArray());
    }

    /// <summary>Nested JSON arrays of numbers as a float64 tensor of the given shape.</summary>
    public static Tensor FromJson(JsonNode node, long[] shape)
    {
        var values = new List<double>();
        void Flatten(JsonNode n)
        {
            if (n is JsonArray a) foreach (var item in a) Flatten(item!);
            else values.Add(n.GetValue<double>());
        }
        Flatten(node);
        return tensor(values.ToArray(), dtype: float64).reshape(shape);
    }
}
