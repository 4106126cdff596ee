using System.Text.Json;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace RobustNode.Host.Schemas;

/// <summary>
/// The values of a tensor of any rank, as the JSON files hold them: nested arrays, row-major, float64 (a scalar is a
/// bare number). Non-finite entries follow <see cref="FiniteNumberConverter"/>.
/// </summary>
/// <param name="Shape">The tensor's shape (empty for a scalar).</param>
/// <param name="Values">Its entries in row-major order.</param>
[JsonConverter(typeof(TensorValuesConverter))]
internal sealed record TensorValues(IReadOnlyList<long> Shape, IReadOnlyList<double> Values)
{
    /// <summary>The values of a tensor (copied to the CPU as float64).</summary>
    public static TensorValues Of(Tensor t)
    {
        using var scope = NewDisposeScope();
        var cpu = t.detach().to(ScalarType.Float64, CPU).contiguous();
        return new TensorValues(cpu.shape.ToArray(), cpu.data<double>().ToArray());
    }

    /// <summary>The values of a matrix [rows, columns].</summary>
    public static TensorValues Of(double[,] matrix)
    {
        var values = new double[matrix.Length];
        int k = 0;
        foreach (var v in matrix) values[k++] = v;
        return new TensorValues([matrix.GetLength(0), matrix.GetLength(1)], values);
    }

    /// <summary>Equal shape and equal entries (NaN equal to NaN, as in the files).</summary>
    public bool Equals(TensorValues? other) =>
        other is not null && Shape.SequenceEqual(other.Shape) && Values.SequenceEqual(other.Values);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Shape.Count, Values.Count);
}

/// <summary>Reads and writes <see cref="TensorValues"/> as nested arrays; a ragged array is a <see cref="JsonException"/>.</summary>
internal sealed class TensorValuesConverter : JsonConverter<TensorValues>
{
    private static readonly FiniteNumberConverter Number = new();

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, TensorValues value, JsonSerializerOptions options)
    {
        int offset = 0;
        void Level(int axis)
        {
            if (axis == value.Shape.Count) { Number.Write(writer, value.Values[offset++], options); return; }
            writer.WriteStartArray();
            for (long i = 0; i < value.Shape[axis]; i++) Level(axis + 1);
            writer.WriteEndArray();
        }
        Level(0);
    }

    /// <inheritdoc/>
    public override TensorValues Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var values = new List<double>();
        var shape = Element(ref reader, values, options);
        return new TensorValues(shape, values);
    }

    /// <summary>Reads the element at the reader (a number, null or an array) into <paramref name="values"/> and returns its shape.</summary>
    private static long[] Element(ref Utf8JsonReader reader, List<double> values, JsonSerializerOptions options)
    {
        if (reader.TokenType is JsonTokenType.Number or JsonTokenType.Null)
        {
            values.Add(Number.Read(ref reader, typeof(double), options));
            return [];
        }
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException($"expected numbers in nested arrays, got {reader.TokenType}");
        long count = 0;
        long[]? inner = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var shape = Element(ref reader, values, options);
            if (inner is null) inner = shape;
            else if (!inner.AsSpan().SequenceEqual(shape)) throw new JsonException("a ragged array: its rows differ in shape");
            count++;
        }
        return [count, .. inner ?? []];
    }
}
