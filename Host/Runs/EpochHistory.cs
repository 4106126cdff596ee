using System.Text.Json;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.IO;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Runs;

/// <summary>
/// A trainer's per-epoch metrics as JSON, kept beside its checkpoint so that a resumed run still reports its whole
/// training curve: <c>[{ "epoch", "loss", "objective", "trainAccuracy", "learningRate", "batches", "samples", "seconds" }, …]</c>.
/// </summary>
public static class EpochHistory
{
    /// <summary>Writes the metrics atomically.</summary>
    public static void Write(string path, IReadOnlyList<EpochMetrics> epochs) => AtomicFile.WriteAllBytes(path, ToJson(epochs));

    /// <summary>The metrics as indented JSON.</summary>
    public static byte[] ToJson(IReadOnlyList<EpochMetrics> epochs)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var m in epochs) WriteEpoch(json, m);
            json.WriteEndArray();
        }
        return buffer.ToArray();
    }

    /// <summary>Writes one epoch's metrics as an object (epochs counted from 1).</summary>
    public static void WriteEpoch(Utf8JsonWriter json, EpochMetrics m)
    {
        json.WriteStartObject();
        json.WriteNumber("epoch", m.Epoch + 1);
        json.WriteNumber("loss", m.Loss);
        json.WriteNumber("objective", m.Objective);
        json.WriteNumber("trainAccuracy", m.TrainAccuracy);
        json.WriteNumber("learningRate", m.LearningRate);
        json.WriteNumber("batches", m.Batches);
        json.WriteNumber("samples", m.Samples);
        json.WriteNumber("seconds", Math.Round(m.WallTime.TotalSeconds, 4));
        json.WriteEndObject();
    }

    /// <summary>The metrics of a history file; an error naming the file when it cannot be read or parsed.</summary>
    public static Validation<Error, IReadOnlyList<EpochMetrics>> Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var epochs = document.RootElement.EnumerateArray().Select(e => new EpochMetrics(
                e.GetProperty("epoch").GetInt32() - 1,
                e.GetProperty("loss").GetDouble(),
                e.GetProperty("objective").GetDouble(),
                e.GetProperty("trainAccuracy").GetDouble(),
                e.GetProperty("learningRate").GetDouble(),
                e.GetProperty("batches").GetInt32(),
                e.GetProperty("samples").GetInt32(),
                TimeSpan.FromSeconds(e.GetProperty("seconds").GetDouble()))).ToArray();
            return Success<Error, IReadOnlyList<EpochMetrics>>(epochs);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return Fail<Error, IReadOnlyList<EpochMetrics>>(HostErrors.File(path, $"cannot read the training history: {ex.Message}"));
        }
    }
}
