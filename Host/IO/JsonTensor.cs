using System.Text.Json;
using static TorchSharp.torch;

namespace RobustNode.Host.IO;

/// <summary>Writes tensors of any rank as nested JSON arrays (row-major, float64).</summary>
public static class JsonTensor
{
    /// <summary>Writes <paramref name="name"/>: nested arrays of the tensor's values.</summary>
    public static void Write(Utf8JsonWriter json, string name, Tensor t)
    {
        json.WritePropertyName(name);
        Write(json, t);
    }

    /// <summary>Writes the tensor's values as nested arrays.</summary>
    public static void Write(Utf8JsonWriter json, Tensor t)
    {
        using var scope = NewDisposeScope();
        var cpu = t.to(ScalarType.Float64, CPU).contiguous();
        var values = cpu.data<double>().ToArray();
        var shape = cpu.shape;
        int offset = 0;
        void Level(int axis)
        {
            if (axis == shape.Length) { json.WriteNumberValue(values[offset++]); return; }
            json.WriteStartArray();
            for (long i = 0; i < shape[axis]; i++) Level(axis + 1);
            json.WriteEndArray();
        }
        Level(0);
    }
}
