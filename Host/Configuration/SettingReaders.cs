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
