using System.Text.Json;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.IO;
using RobustNode.Training.Denoising;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Denoising;

/// <summary>
/// A denoiser's per-epoch metrics as JSON, kept beside its checkpoint so that a resumed run reports its whole training
/// curve: <c>[{ "epoch", "loss", "psnr", "noisyLoss", "noisyPsnr", "learningRate", "batches", "samples", "seconds" }, …]</c>
/// (epochs counted from 1, losses are mean squared errors per pixel).
/// </summary>
public static class DenoisingHistory
{
    /// <summary>Writes the metrics atomically.</summary>
    public static void Write(string path, IReadOnlyList<DenoisingEpoch> epochs) => AtomicFile.WriteAllBytes(path, ToJson(epochs));

    /// <summary>The metrics as indented JSON.</summary>
    public static byte[] ToJson(IReadOnlyList<DenoisingEpoch> epochs)
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

    /// <summary>One epoch as an object.</summary>
    public static void WriteEpoch(Utf8JsonWriter json, DenoisingEpoch m)
    {
        json.WriteStartObject();
        json.WriteNumber("epoch", m.Epoch + 1);
        json.WriteNumber("loss", m.Loss);
        json.WriteNumber("psnr", Math.Round(m.Psnr, 4));
        json.WriteNumber("noisyLoss", m.NoisyLoss);
        json.WriteNumber("noisyPsnr", Math.Round(m.NoisyPsnr, 4));
        json.WriteNumber("learningRate", m.LearningRate);
        json.WriteNumber("batches", m.Batches);
        json.WriteNumber("samples", m.Samples);
        json.WriteNumber("seconds", Math.Round(m.WallTime.TotalSeconds, 4));
        json.WriteEndObject();
    }

    /// <summary>The metrics of a history file; an error naming the file when it cannot be read or parsed.</summary>
    public static Validation<Error, IReadOnlyList<DenoisingEpoch>> Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return Success<Error, IReadOnlyList<DenoisingEpoch>>(document.RootElement.EnumerateArray().Select(e => new DenoisingEpoch(
                e.GetProperty("epoch").GetInt32() - 1,
                e.GetProperty("loss").GetDouble(),
                e.GetProperty("noisyLoss").GetDouble(),
                e.GetProperty("learningRate").GetDouble(),
                e.GetProperty("batches").GetInt32(),
                e.GetProperty("samples").GetInt32(),
                TimeSpan.FromSeconds(e.GetProperty("seconds").GetDouble()))).ToArray());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return Fail<Error, IReadOnlyList<DenoisingEpoch>>(HostErrors.File(path, $"cannot read the training history: {ex.Message}"));
        }
    }
}
