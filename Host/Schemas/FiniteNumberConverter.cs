using System.Text.Json;
using System.Text.Json.Serialization;

namespace RobustNode.Host.Schemas;

/// <summary>
/// The one rule of every RobustNode JSON file for numbers that are not finite: NaN and ±∞ are written as <c>null</c>
/// and read back as NaN. JSON has no literal for them, and a writer must never fail on one: a non-finite value in a
/// file is an undefined statistic (the median time of a trainer without recorded epochs, the standard deviation of a
/// single seed). Results that must be finite — losses, gradients, states — are checked by their verb before anything
/// is written, and a non-finite one is a computation failure (exit code 3).
/// </summary>
internal sealed class FiniteNumberConverter : JsonConverter<double>
{
    /// <summary>Null tokens reach <see cref="Read"/> (as NaN) instead of failing.</summary>
    public override bool HandleNull => true;

    /// <inheritdoc/>
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}
