using System.Text.Json;
using RobustNode.Solvers.Integration;

namespace RobustNode.Host.IO;

/// <summary>
/// What the <c>solve</c> verb writes: <c>{ "engine", "xT": [B][d], "stats": { "functionEvaluations", "acceptedSteps",
/// "rejectedSteps", "wallTimeMs" } }</c>.
/// </summary>
public sealed record SolveResult(double[,] XT, SolveStatistics Statistics, double WallTimeMs, string Engine)
{
    /// <summary>The result as indented UTF-8 JSON (numbers in shortest round-trip form).</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("engine", Engine);
            json.WriteStartArray("xT");
            for (int i = 0; i < XT.GetLength(0); i++)
            {
                json.WriteStartArray();
                for (int j = 0; j < XT.GetLength(1); j++) json.WriteNumberValue(XT[i, j]);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteStartObject("stats");
            json.WriteNumber("functionEvaluations", Statistics.FunctionEvaluations);
            json.WriteNumber("acceptedSteps", Statistics.AcceptedSteps);
            json.WriteNumber("rejectedSteps", Statistics.RejectedSteps);
            json.WriteNumber("wallTimeMs", Math.Round(WallTimeMs, 3));
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
