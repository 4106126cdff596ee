using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Configuration;

/// <summary>
/// Small validators from a configuration value to a core value. Each names the full key in its message
/// and falls back to a default when the key is absent.
/// </summary>
internal static class SettingReaders
{
    private static string Key(IConfigurationSection section, string name) => $"{section.Path}:{name}";

    /// <summary>One of a few words (case-insensitive), e.g. <c>Torch:Device</c> ∈ cpu | cuda | auto.</summary>
    public static Validation<Error, T> Choice<T>(IConfigurationSection section, string name, T fallback, IReadOnlyDictionary<string, T> choices)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text)) return Success<Error, T>(fallback);
        return choices.TryGetValue(text.Trim(), out var value)
            ? Success<Error, T>(value)
            : Fail<Error, T>(HostErrors.Configuration(Key(section, name), $"expected {Alternatives(choices.Keys)}, got '{text}'"));
    }

    /// <summary>An integer of at least <paramref name="min"/>.</summary>
    public static Validation<Error, int> Integer(IConfigurationSection section, string name, int fallback, int min)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text)) return Success<Error, int>(fallback);
        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            return Fail<Error, int>(HostErrors.Configuration(Key(section, name), $"expected an integer, got '{text}'"));
        return value >= min
            ? Success<Error, int>(value)
            : Fail<Error, int>(HostErrors.Configuration(Key(section, name), $"must be at least {min}, got {value}"));
    }

    /// <summary>A positive finite number.</summary>
    public static Validation<Error, double> Positive(IConfigurationSection section, string name, double fallback)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text)) return Success<Error, double>(fallback);
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            return Fail<Error, double>(HostErrors.Configuration(Key(section, name), $"expected a number, got '{text}'"));
        return value > 0
            ? Success<Error, double>(value)
            : Fail<Error, double>(HostErrors.Configuration(Key(section, name), $"must be positive, got {value.ToString(CultureInfo.InvariantCulture)}"));
    }

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>] (bounds exclusive when asked).</summary>
    public static Validation<Error, double> Number(IConfigurationSection section, string name, double fallback,
        double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool exclusiveMin = false, bool exclusiveMax = false)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text)) return Success<Error, double>(fallback);
        return ParseNumber(Key(section, name), text, min, max, exclusiveMin, exclusiveMax);
    }

    /// <summary>A finite number in range, or None when the key is absent.</summary>
    public static Validation<Error, Option<double>> OptionalNumber(IConfigurationSection section, string name,
        double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool exclusiveMin = false)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text)) return Success<Error, Option<double>>(None);
        return ParseNumber(Key(section, name), text, min, max, exclusiveMin, false).Map(Some);
    }

    private static Validation<Error, double> ParseNumber(string key, string text, double min, double max, bool exclusiveMin, bool exclusiveMax)
    {
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            return Fail<Error, double>(HostErrors.Configuration(key, $"expected a number, got '{text}'"));
        bool low = exclusiveMin ? value > min : value >= min, high = exclusiveMax ? value < max : value <= max;
        if (low && high) return Success<Error, double>(value);
        string Bound(double b) => b.ToString(CultureInfo.InvariantCulture);
        string reason = (double.IsFinite(min), double.IsFinite(max)) switch
        {
            (true, true) => $"must lie in {(exclusiveMin ? "(" : "[")}{Bound(min)}, {Bound(max)}{(exclusiveMax ? ")" : "]")}",
            (true, false) => exclusiveMin ? (min == 0 ? "must be positive" : $"must be above {Bound(min)}") : (min == 0 ? "must not be negative" : $"must be at least {Bound(min)}"),
            _ => exclusiveMax ? $"must be below {Bound(max)}" : $"must be at most {Bound(max)}",
        };
        return Fail<Error, double>(HostErrors.Configuration(key, $"{reason}, got {value.ToString(CultureInfo.InvariantCulture)}"));
    }

    /// <summary>A 64-bit integer (a seed).</summary>
    public static Validation<Error, long> Long(IConfigurationSection section, string name, long fallback)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text)) return Success<Error, long>(fallback);
        return long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? Success<Error, long>(value)
            : Fail<Error, long>(HostErrors.Configuration(Key(section, name), $"expected an integer, got '{text}'"));
    }

    /// <summary>true or false.</summary>
    public static Validation<Error, bool> Flag(IConfigurationSection section, string name, bool fallback)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text)) return Success<Error, bool>(fallback);
        return bool.TryParse(text.Trim(), out var value)
            ? Success<Error, bool>(value)
            : Fail<Error, bool>(HostErrors.Configuration(Key(section, name), $"expected true or false, got '{text}'"));
    }

    /// <summary>
    /// A list of finite numbers: a JSON array (<c>[0, 0.1]</c>, keys 0, 1, …) or one comma-separated text
    /// (<c>--Section:Key=0,0.1</c>), which wins when both are present (only a later source can set the text).
    /// </summary>
    public static Validation<Error, Option<double[]>> Numbers(IConfigurationSection section, string name)
    {
        var list = section.GetSection(name);
        string key = Key(section, name);
        IEnumerable<(string Key, string Text)> items;
        if (!string.IsNullOrWhiteSpace(list.Value))
            items = list.Value.Split(',').Select((t, i) => ($"{key}[{i}]", t));
        else
        {
            var children = list.GetChildren().ToArray();
            if (children.Length == 0) return Success<Error, Option<double[]>>(None);
            if (children.Select((c, i) => c.Key == i.ToString(CultureInfo.InvariantCulture)).Any(ok => !ok))
                return Fail<Error, Option<double[]>>(HostErrors.Configuration(key, "expected a list of numbers"));
            items = children.Select((c, i) => ($"{key}[{i}]", c.Value ?? ""));
        }
        var errors = new List<Error>();
        var values = new List<double>();
        foreach (var (path, text) in items)
        {
            if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) values.Add(v);
            else errors.Add(HostErrors.Configuration(path, $"expected a number, got '{text.Trim()}'"));
        }
        return errors.Count > 0 ? Fail<Error, Option<double[]>>(Seq(errors)) : Success<Error, Option<double[]>>(Some(values.ToArray()));
    }

    /// <summary>A non-empty text.</summary>
    public static Validation<Error, string> Text(IConfigurationSection section, string name, string fallback)
    {
        var text = section[name];
        if (text is null) return Success<Error, string>(fallback);
        return string.IsNullOrWhiteSpace(text)
            ? Fail<Error, string>(HostErrors.Configuration(Key(section, name), "must not be empty"))
            : Success<Error, string>(text.Trim());
    }

    /// <summary>Every key of the section is one this program reads (a misspelt key is reported, not silently ignored).</summary>
    public static Validation<Error, Unit> KnownKeys(IConfigurationSection section, params string[] known)
    {
        var unknown = section.GetChildren()
            .Where(child => !known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            .Select(child => HostErrors.Configuration(child.Path, $"unknown setting; known: {string.Join(", ", known)}"))
            .ToList();
        return unknown.Count == 0 ? Success<Error, Unit>(unit) : Fail<Error, Unit>(Seq(unknown));
    }

    /// <summary>"a, b or c".</summary>
    public static string Alternatives(IEnumerable<string> words)
    {
        var list = words.ToList();
        return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list.Take(list.Count - 1)) + " or " + list[^1];
    }
}
