using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Sweeps;

/// <summary>One point of a sweep's grid: a value for every grid key (none without a grid).</summary>
/// <param name="Settings">Key (relative to the experiment, e.g. <c>Training:Augmented:Weight</c>) and value, in the grid's order.</param>
internal sealed record GridPoint(IReadOnlyList<KeyValuePair<string, string>> Settings)
{
    /// <summary>The point as text, <c>Training:Augmented:Weight=0.05, Training:Epochs=3</c> (empty without a grid).</summary>
    public string Name => string.Join(", ", Settings.Select(s => $"{s.Key}={s.Value}"));

    /// <summary>The point's folder under the sweep's: <c>Training.Augmented.Weight=0.05</c> (keys joined by dots, points by commas); empty without a grid.</summary>
    public string Folder => string.Join(",", Settings.Select(s => $"{s.Key.Replace(':', '.')}={s.Value}"));
}

/// <summary>
/// The grid of a sweep, from <c>--grid</c>: <c>Key=v1,v2,…</c>, several keys separated by semicolons
/// (<c>Training:Augmented:Weight=0.05,0.1;Training:Epochs=20,40</c>). Keys are settings of the experiment
/// (<c>Experiments:&lt;name&gt;:Key</c>); the points are every combination of the values. Whether a value suits its
/// key is checked with the rest of the experiment's settings.
/// </summary>
/// <param name="Axes">Every key with its values, in the order given.</param>
internal sealed record SweepGrid(IReadOnlyList<(string Key, IReadOnlyList<string> Values)> Axes)
{
    /// <summary>Most points of one grid.</summary>
    public const int MaxPoints = 1000;

    /// <summary>No grid: one point without settings.</summary>
    public static SweepGrid None { get; } = new([]);

    /// <summary>Every combination of the values, the last key varying fastest.</summary>
    public IReadOnlyList<GridPoint> Points => Axes.Aggregate(
        (IEnumerable<IReadOnlyList<KeyValuePair<string, string>>>)[[]],
        (points, axis) => points.SelectMany(p => axis.Values.Select(v => (IReadOnlyList<KeyValuePair<string, string>>)[.. p, new(axis.Key, v)])))
        .Select(s => new GridPoint(s)).ToArray();

    /// <summary>
    /// The grid of <paramref name="text"/>; a key may not be one of <paramref name="reserved"/> (the settings a seed
    /// sets). Every malformed part is reported.
    /// </summary>
    public static Validation<Error, SweepGrid> Parse(string? text, IReadOnlyCollection<string> reserved)
    {
        if (text is null) return Success<Error, SweepGrid>(None);
        var axes = new List<(string, IReadOnlyList<string>)>();
        var errors = new List<Error>();
        Error Bad(string reason) => HostErrors.CommandLine("--grid", reason);
        foreach (var part in text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            var key = eq > 0 ? part[..eq].Trim() : "";
            var values = eq > 0 ? part[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries) : [];
            if (key.Length == 0 || values.Length == 0)
                errors.Add(Bad($"'{Clip(part)}' is not a grid axis; write Key=v1,v2 with a setting of the experiment, e.g. Training:Augmented:Weight=0.05,0.1"));
            else if (key.StartsWith("Experiments:", StringComparison.OrdinalIgnoreCase))
                errors.Add(Bad($"'{Clip(key)}': give the key within the experiment, without Experiments:<name>: (e.g. Training:Epochs)"));
            else if (key.Split(':').Any(k => k.Length == 0))
                errors.Add(Bad($"'{Clip(key)}' is not a setting: an empty part between colons"));
            else if (reserved.Contains(key, StringComparer.OrdinalIgnoreCase))
                errors.Add(Bad($"'{key}' is set by the seed of each run (--seeds); it cannot be a grid axis"));
            else if (axes.Any(a => string.Equals(a.Item1, key, StringComparison.OrdinalIgnoreCase)))
                errors.Add(Bad($"'{key}' is given twice"));
            else if (values.Any(v => v.Length == 0))
                errors.Add(Bad($"'{Clip(part)}': an empty value"));
            else if (values.FirstOrDefault(v => v is "." or ".." || v.IndexOfAny(['/', '\\', ':']) >= 0 || v.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) is { } odd)
                errors.Add(Bad($"'{Clip(odd)}': a grid value names the point's folder, so it cannot hold slashes or colons"));
            else if (values.Distinct(StringComparer.Ordinal).Count() != values.Length)
                errors.Add(Bad($"'{Clip(part)}': a value given twice"));
            else axes.Add((key, values));
        }
        if (errors.Count == 0 && axes.Count == 0) errors.Add(Bad("no axis; write Key=v1,v2 (several keys separated by ';')"));
        if (errors.Count == 0 && axes.Aggregate(1L, (n, a) => n * a.Item2.Count) > MaxPoints)
            errors.Add(Bad($"{axes.Aggregate(1L, (n, a) => n * a.Item2.Count)} points; a grid has at most {MaxPoints}"));
        return errors.Count > 0 ? Fail<Error, SweepGrid>(Seq(errors)) : Success<Error, SweepGrid>(new SweepGrid(axes));
    }

    private static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
