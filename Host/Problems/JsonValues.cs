using System.Globalization;
using System.Text.Json;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Problems;

/// <summary>
/// Small validators from a JSON value to a core value, each naming the JSON path of what is wrong
/// (<c>$.x0[1][0]: NaN is not allowed</c>). Arrays check every entry and report all bad ones.
/// </summary>
internal static class JsonValues
{
    private static Error At(string path, string reason) => HostErrors.ProblemFile(path, reason);

    /// <summary>"a string", "an array", … for messages.</summary>
    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Echo.Clip(e.GetString()!, Echo.ValueLength)}\"",
        JsonValueKind.Number => $"the number {Echo.Clip(e.GetRawText(), 40)}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {e.GetRawText()}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>A finite number. The strings "NaN" and "Infinity" are named as such.</summary>
    public static Validation<Error, double> Number(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Number)
            return e.TryGetDouble(out var v) && double.IsFinite(v)
                ? Success<Error, double>(v)
                : Fail<Error, double>(At(path, $"{Echo.Clip(e.GetRawText(), 40)} is out of the range of a float64"));
        if (e.ValueKind == JsonValueKind.String && e.GetString()?.Trim() is { } s &&
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var named) && !double.IsFinite(named))
            return Fail<Error, double>(At(path, $"{(double.IsNaN(named) ? "NaN" : "an infinite value")} is not allowed"));
        return Fail<Error, double>(At(path, $"expected a number, got {Describe(e)}"));
    }

    /// <summary>A number satisfying a condition, e.g. positive.</summary>
    public static Validation<Error, double> Number(JsonElement e, string path, Func<double, bool> holds, string requirement) =>
        Number(e, path).Bind(v => holds(v)
            ? Success<Error, double>(v)
            : Fail<Error, double>(At(path, $"must be {requirement}, got {v.ToString(CultureInfo.InvariantCulture)}")));

    /// <summary>An integer in [min, max].</summary>
    public static Validation<Error, int> Integer(JsonElement e, string path, int min, int max = int.MaxValue)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var v))
            return Fail<Error, int>(At(path, $"expected an integer, got {Describe(e)}"));
        if (v < min) return Fail<Error, int>(At(path, $"must be at least {min}, got {v}"));
        return v <= max ? Success<Error, int>(v) : Fail<Error, int>(At(path, $"must be at most {max}, got {v}"));
    }

    /// <summary>A boolean.</summary>
    public static Validation<Error, bool> Boolean(JsonElement e, string path) => e.ValueKind switch
    {
        JsonValueKind.True => Success<Error, bool>(true),
        JsonValueKind.False => Success<Error, bool>(false),
        _ => Fail<Error, bool>(At(path, $"expected true or false, got {Describe(e)}")),
    };

    /// <summary>A string.</summary>
    public static Validation<Error, string> Text(JsonElement e, string path) =>
        e.ValueKind == JsonValueKind.String
            ? Success<Error, string>(e.GetString()!)
            : Fail<Error, string>(At(path, $"expected a string, got {Describe(e)}"));

    /// <summary>One of a few words (exact spelling).</summary>
    public static Validation<Error, T> Choice<T>(JsonElement e, string path, IReadOnlyDictionary<string, T> choices) =>
        Text(e, path).Bind(s => choices.TryGetValue(s, out var v)
            ? Success<Error, T>(v)
            : Fail<Error, T>(At(path, $"expected one of {string.Join(", ", choices.Keys.Select(k => $"\"{k}\""))}, got \"{Echo.Clip(s, Echo.ValueLength)}\"")));

    /// <summary>The entries of a non-empty array, optionally of a given length (<paramref name="plural"/> names its entries).</summary>
    public static Validation<Error, JsonElement[]> Array(JsonElement e, string path, int? length, string plural)
    {
        if (e.ValueKind != JsonValueKind.Array)
            return Fail<Error, JsonElement[]>(At(path, $"expected an array of {(length is { } n ? $"{n} " : "")}{plural}, got {Describe(e)}"));
        var items = e.EnumerateArray().ToArray();
        if (length is { } expected && items.Length != expected)
            return Fail<Error, JsonElement[]>(At(path, $"expected {expected} {plural}, got {items.Length}"));
        if (items.Length == 0)
            return Fail<Error, JsonElement[]>(At(path, $"expected an array of {plural}, got an empty array"));
        return Success<Error, JsonElement[]>(items);
    }

    /// <summary>A vector of finite numbers.</summary>
    public static Validation<Error, double[]> Vector(JsonElement e, string path, int? length) =>
        Array(e, path, length, "numbers").Bind(items =>
            items.Select((item, i) => Number(item, $"{path}[{i}]")).Sequence().Map(v => v.ToArray()));

    /// <summary>
    /// A rectangular matrix [rows][cols] of finite numbers. With an unknown column count the first row sets it.
    /// A wrong row count reads <c>$.weights[2]: expected 3 rows of 3, got 2</c>.
    /// </summary>
    public static Validation<Error, double[,]> Matrix(JsonElement e, string path, int? rows, int? cols) =>
        Array(e, path, rows, $"rows of {cols?.ToString(CultureInfo.InvariantCulture) ?? "numbers"}").Bind(items =>
        {
            int? width = cols ?? (items[0].ValueKind == JsonValueKind.Array ? items[0].GetArrayLength() : null);
            return items.Select((row, i) => Vector(row, $"{path}[{i}]", width)).Sequence().Map(values =>
            {
                var list = values.ToArray();
                var m = new double[list.Length, list[0].Length];
                for (int i = 0; i < list.Length; i++)
                    for (int j = 0; j < list[i].Length; j++) m[i, j] = list[i][j];
                return m;
            });
        });

    /// <summary>A stack of <paramref name="count"/> matrices [count][rows][cols], e.g. the weights of N layers.</summary>
    public static Validation<Error, double[,,]> Stack(JsonElement e, string path, int? count, int? rows, int? cols) =>
        Array(e, path, count, "matrices (one per layer)").Bind(items =>
            items.Select((item, k) => Matrix(item, $"{path}[{k}]", rows, cols)).Sequence().Bind(values =>
            {
                var list = values.ToArray();
                int r = list[0].GetLength(0), c = list[0].GetLength(1);
                var mismatched = list.Select((m, k) => (m, k)).Where(x => x.m.GetLength(0) != r || x.m.GetLength(1) != c)
                    .Select(x => At($"{path}[{x.k}]", $"expected {r} rows of {c} like {path}[0], got {x.m.GetLength(0)} rows of {x.m.GetLength(1)}"))
                    .ToList();
                if (mismatched.Count > 0) return Fail<Error, double[,,]>(Seq(mismatched));
                var t = new double[list.Length, r, c];
                for (int k = 0; k < list.Length; k++)
                    for (int i = 0; i < r; i++)
                        for (int j = 0; j < c; j++) t[k, i, j] = list[k][i, j];
                return Success<Error, double[,,]>(t);
            }));
}
