using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Configuration;

/// <summary>
/// Small validators from a configuration value to a core value. Each names the full key in its message, falls back
/// to a default when the key is absent, and refuses what is not a single value of the right kind: an object or a
/// list where a number belongs (<c>"BatchSize": {"a": 1}</c>), a sub-key under a scalar
/// (<c>--…:BatchSize:a=1</c>), an empty value (<c>Epochs=</c>), and a number outside its range.
/// </summary>
internal static class SettingReaders
{
    private static string Key(IConfigurationSection section, string name) => $"{section.Path}:{name}";

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The text of a key that holds one value: None when the key is absent; an error when it is a section (object or
    /// list), has sub-keys, or is empty.
    /// </summary>
    public static Validation<Error, Option<string>> Scalar(IConfigurationSection section, string name)
    {
        var entry = section.GetSection(name);
        var children = entry.GetChildren().ToList();
        if (children.Count > 0)
            return Fail<Error, Option<string>>(HostErrors.Configuration(entry.Path, string.IsNullOrEmpty(entry.Value)
                ? $"expected a single value, got a section or list (with {Echo.Quote(children[0].Key)})"
                : $"holds a single value and takes no sub-keys, got {Echo.Quote(children[0].Path)}"));
        if (entry.Value is null) return Success<Error, Option<string>>(None);
        return string.IsNullOrWhiteSpace(entry.Value)
            ? Fail<Error, Option<string>>(HostErrors.Configuration(entry.Path, "is empty; give a value or leave the key out"))
            : Success<Error, Option<string>>(Some(entry.Value.Trim()));
    }

    /// <summary>One of a few words (case-insensitive), e.g. <c>Torch:Device</c> ∈ cpu | cuda | auto.</summary>
    public static Validation<Error, T> Choice<T>(IConfigurationSection section, string name, T fallback, IReadOnlyDictionary<string, T> choices) =>
        Scalar(section, name).Bind(text => text.Match(
            None: () => Success<Error, T>(fallback),
            Some: t => choices.TryGetValue(t, out var value)
                ? Success<Error, T>(value)
                : Fail<Error, T>(HostErrors.Configuration(Key(section, name), $"expected {Alternatives(choices.Keys)}, got {Echo.Quote(t)}"))));

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Validation<Error, int> Integer(IConfigurationSection section, string name, int fallback, int min, int max = int.MaxValue) =>
        Scalar(section, name).Bind(text => text.Match(
            None: () => Success<Error, int>(fallback),
            Some: t =>
            {
                if (!long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                    return Fail<Error, int>(HostErrors.Configuration(Key(section, name), $"expected an integer, got {Echo.Quote(t)}"));
                if (value < min) return Fail<Error, int>(HostErrors.Configuration(Key(section, name), $"must be at least {min}, got {value}"));
                return value <= max
                    ? Success<Error, int>((int)value)
                    : Fail<Error, int>(HostErrors.Configuration(Key(section, name), $"must be at most {max}, got {value}"));
            }));

    /// <summary>A positive finite number, at most <paramref name="max"/>.</summary>
    public static Validation<Error, double> Positive(IConfigurationSection section, string name, double fallback, double max = double.PositiveInfinity) =>
        Number(section, name, fallback, 0, max, exclusiveMin: true);

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>] (bounds exclusive when asked).</summary>
    public static Validation<Error, double> Number(IConfigurationSection section, string name, double fallback,
        double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool exclusiveMin = false, bool exclusiveMax = false) =>
        Scalar(section, name).Bind(text => text.Match(
            None: () => Success<Error, double>(fallback),
            Some: t => ParseNumber(Key(section, name), t, min, max, exclusiveMin, exclusiveMax)));

    /// <summary>A finite number in range, or None when the key is absent.</summary>
    public static Validation<Error, Option<double>> OptionalNumber(IConfigurationSection section, string name,
        double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool exclusiveMin = false) =>
        Scalar(section, name).Bind(text => text.Match(
            None: () => Success<Error, Option<double>>(None),
            Some: t => ParseNumber(Key(section, name), t, min, max, exclusiveMin, false).Map(Some)));

    /// <summary>A number in range, for a key and its text.</summary>
    public static Validation<Error, double> ParseNumber(string key, string text, double min, double max, bool exclusiveMin, bool exclusiveMax)
    {
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            return Fail<Error, double>(HostErrors.Configuration(key, $"expected a number, got {Echo.Quote(text.Trim())}"));
        bool low = exclusiveMin ? value > min : value >= min, high = exclusiveMax ? value < max : value <= max;
        if (low && high) return Success<Error, double>(value);
        // A unit interval reads as one (TestFraction ∈ (0, 1)); otherwise the violated side is named (a cap reads "at most").
        string reason = double.IsFinite(min) && double.IsFinite(max) && max <= 1
            ? $"must lie in {(exclusiveMin ? "(" : "[")}{Show(min)}, {Show(max)}{(exclusiveMax ? ")" : "]")}"
            : !low
                ? exclusiveMin ? (min == 0 ? "must be positive" : $"must be above {Show(min)}") : (min == 0 ? "must not be negative" : $"must be at least {Show(min)}")
                : exclusiveMax ? $"must be below {Show(max)}" : $"must be at most {Show(max)}";
        return Fail<Error, double>(HostErrors.Configuration(key, $"{reason}, got {Show(value)}"));
    }

    /// <summary>A 64-bit integer (a seed).</summary>
    public static Validation<Error, long> Long(IConfigurationSection section, string name, long fallback) =>
        Scalar(section, name).Bind(text => text.Match(
            None: () => Success<Error, long>(fallback),
            Some: t => long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? Success<Error, long>(value)
                : Fail<Error, long>(HostErrors.Configuration(Key(section, name), $"expected an integer, got {Echo.Quote(t)}"))));

    /// <summary>true or false.</summary>
    public static Validation<Error, bool> Flag(IConfigurationSection section, string name, bool fallback) =>
        Scalar(section, name).Bind(text => text.Match(
            None: () => Success<Error, bool>(fallback),
            Some: t => bool.TryParse(t, out var value)
                ? Success<Error, bool>(value)
                : Fail<Error, bool>(HostErrors.Configuration(Key(section, name), $"expected true or false, got {Echo.Quote(t)}"))));

    /// <summary>
    /// A list of finite numbers: a JSON array (<c>[0, 0.1]</c>, keys 0, 1, …) or one comma-separated text
    /// (<c>--Section:Key=0,0.1</c>), which wins when both are present (only a later source can set the text).
    /// At most <paramref name="maxCount"/> entries.
    /// </summary>
    public static Validation<Error, Option<double[]>> Numbers(IConfigurationSection section, string name, int maxCount = 1000)
    {
        var list = section.GetSection(name);
        string key = Key(section, name);
        IEnumerable<(string Key, string Text)> items;
        var children = list.GetChildren().ToArray();
        // An empty value overrides nothing silently: "--…:Epsilons=" over the file's list is refused, like an empty scalar.
        if (list.Value is not null && string.IsNullOrWhiteSpace(list.Value))
            return Fail<Error, Option<double[]>>(HostErrors.Configuration(key, "is empty; give a list of numbers or leave the key out"));
        if (!string.IsNullOrWhiteSpace(list.Value))
            items = list.Value.Split(',').Select((t, i) => ($"{key}[{i}]", t));
        else
        {
            if (children.Length == 0) return Success<Error, Option<double[]>>(None);
            if (children.Select((c, i) => c.Key == i.ToString(CultureInfo.InvariantCulture) && !c.GetChildren().Any()).Any(ok => !ok))
                return Fail<Error, Option<double[]>>(HostErrors.Configuration(key, "expected a list of numbers"));
            items = children.Select((c, i) => ($"{key}[{i}]", c.Value ?? ""));
        }
        var all = items.ToList();
        if (all.Count > maxCount)
            return Fail<Error, Option<double[]>>(HostErrors.Configuration(key, $"holds {all.Count} numbers, at most {maxCount} are allowed"));
        var errors = new List<Error>();
        var values = new List<double>();
        foreach (var (path, text) in all)
        {
            if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) values.Add(v);
            else errors.Add(HostErrors.Configuration(path, $"expected a number, got {Echo.Quote(text.Trim())}"));
        }
        return errors.Count > 0 ? Fail<Error, Option<double[]>>(Seq(errors)) : Success<Error, Option<double[]>>(Some(values.ToArray()));
    }

    /// <summary>A non-empty text of at most <paramref name="maxLength"/> characters.</summary>
    public static Validation<Error, string> Text(IConfigurationSection section, string name, string fallback, int maxLength = 4096) =>
        Scalar(section, name).Bind(text => text.Match(
            None: () => Success<Error, string>(fallback),
            Some: t => t.Length <= maxLength
                ? Success<Error, string>(t)
                : Fail<Error, string>(HostErrors.Configuration(Key(section, name), $"is {t.Length} characters long, at most {maxLength} are allowed: {Echo.Quote(t)}"))));

    /// <summary>
    /// The section is a section, not a single value, and every key of it is one this program reads (a misspelt key is
    /// reported, not silently ignored).
    /// </summary>
    public static Validation<Error, Unit> KnownKeys(IConfigurationSection section, params string[] known)
    {
        var errors = new List<Error>();
        if (!string.IsNullOrEmpty(section.Value))
            errors.Add(HostErrors.Configuration(section.Path,
                $"is a section with the keys {string.Join(", ", known)}, not a single value (got {Echo.Quote(section.Value)}); write {section.Key}:{known.FirstOrDefault() ?? "Key"}=…"));
        errors.AddRange(section.GetChildren()
            .Where(child => !known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            .Select(child => HostErrors.Configuration(Echo.Clip(child.Path), $"unknown setting; known: {string.Join(", ", known)}")));
        return errors.Count == 0 ? Success<Error, Unit>(unit) : Fail<Error, Unit>(Seq(errors));
    }

    /// <summary>"a, b or c".</summary>
    public static string Alternatives(IEnumerable<string> words)
    {
        var list = words.ToList();
        return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list.Take(list.Count - 1)) + " or " + list[^1];
    }
}
