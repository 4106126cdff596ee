using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.IO;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Schemas;

/// <summary>
/// The serializer of every JSON file RobustNode writes, generated at compile time from the schema records: one root
/// type per file kind. Keys are camelCase, output is indented, non-finite numbers are <c>null</c>
/// (<see cref="FiniteNumberConverter"/>). When reading, a key the record requires must be present and a string or list
/// it declares non-null must not be null; unknown keys are ignored, so that older readers accept newer files.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(FiniteNumberConverter)])]
[JsonSerializable(typeof(ReportFile))]
[JsonSerializable(typeof(IReadOnlyList<EpochJson>))]
[JsonSerializable(typeof(SolveFile))]
[JsonSerializable(typeof(SensitivityFile))]
[JsonSerializable(typeof(EvaluationFile))]
[JsonSerializable(typeof(SweepReportFile))]
[JsonSerializable(typeof(CertificationFile))]
[JsonSerializable(typeof(DenoiserReportFile))]
[JsonSerializable(typeof(IReadOnlyList<DenoisingEpochJson>))]
[JsonSerializable(typeof(PnpReportFile))]
internal sealed partial class JsonFiles : JsonSerializerContext
{
    /// <summary>A file's content: indented UTF-8 JSON ending with a newline.</summary>
    public static byte[] Write<T>(T value, JsonTypeInfo<T> type)
    {
        using var buffer = new MemoryStream();
        JsonSerializer.Serialize(buffer, value, type);
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>A file's content as its record; <see cref="JsonException"/> when it does not fit the schema.</summary>
    public static T Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(json, type) ?? throw new JsonException("the file holds null");

    /// <summary>Reads a file as its record; an error naming the file and what is wrong when it cannot be read or does not fit.</summary>
    public static Validation<Error, T> Read<T>(string path, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return Success<Error, T>(Parse(File.ReadAllBytes(path), type));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            var reason = ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied",
                _ => ex.Message,
            };
            return Fail<Error, T>(HostErrors.File(path, $"cannot read the {what}: {reason}"));
        }
    }

    /// <summary>Writes a record atomically (see <see cref="AtomicFile"/>).</summary>
    public static void WriteFile<T>(string path, T value, JsonTypeInfo<T> type) => AtomicFile.WriteAllBytes(path, Write(value, type));
}
