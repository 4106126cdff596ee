using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Sweeps;

/// <summary>
/// The seeds of a sweep, from <c>--seeds</c>: numbers and ranges separated by commas (<c>1-10</c>, <c>1,2,5</c>,
/// <c>1-3,7</c>), each a whole number from 0 to <see cref="MaxSeed"/>, none twice, at most <see cref="MaxCount"/>.
/// </summary>
internal static class SeedList
{
    /// <summary>Most seeds of one sweep.</summary>
    public const int MaxCount = 1000;

    /// <summary>Largest seed (seeds are written into settings read as 64-bit integers; this keeps them readable).</summary>
    public const long MaxSeed = int.MaxValue;

    /// <summary>The seeds of a sweep where <c>--seeds</c> is absent: 10 for point clouds, 3 for images (1 to n).</summary>
    public static IReadOnlyList<long> Default(bool images) => Enumerable.Range(1, images ? 3 : 10).Select(i => (long)i).ToArray();

    /// <summary>The seeds of <paramref name="text"/>, in the order given; every malformed part is reported.</summary>
    public static Validation<Error, IReadOnlyList<long>> Parse(string text)
    {
        var seeds = new List<long>();
        var errors = new List<Error>();
        Error Bad(string reason) => HostErrors.CommandLine("--seeds", reason);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0) { errors.Add(Bad("an empty entry; write the seeds as 1-10 or 1,2,5")); continue; }
            int dash = part.IndexOf('-', 1);
            if (dash < 0)
            {
                if (Seed(part) is { } s) seeds.Add(s);
                else errors.Add(Bad($"'{Clip(part)}' is not a seed: a whole number from 0 to {MaxSeed}"));
                continue;
            }
            var (from, to) = (Seed(part[..dash].Trim()), Seed(part[(dash + 1)..].Trim()));
            if (from is null || to is null) errors.Add(Bad($"'{Clip(part)}' is not a range of seeds: write FIRST-LAST with whole numbers from 0 to {MaxSeed}"));
            else if (from > to) errors.Add(Bad($"'{Clip(part)}' is an empty range: the first seed is larger than the last"));
            else if (to - from >= MaxCount) errors.Add(Bad($"'{Clip(part)}' holds {to - from + 1} seeds; a sweep runs at most {MaxCount}"));
            else for (long s = from.Value; s <= to.Value; s++) seeds.Add(s);
        }
        var twice = seeds.GroupBy(s => s).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (twice.Length > 0) errors.Add(Bad($"seed{(twice.Length > 1 ? "s" : "")} {string.Join(", ", twice)} given twice"));
        if (errors.Count == 0 && seeds.Count > MaxCount) errors.Add(Bad($"{seeds.Count} seeds; a sweep runs at most {MaxCount}"));
        return errors.Count > 0 ? Fail<Error, IReadOnlyList<long>>(Seq(errors)) : Success<Error, IReadOnlyList<long>>(seeds);
    }

    /// <summary>The seeds as short text: <c>1–10</c> for a range, else a list.</summary>
    public static string Describe(IReadOnlyList<long> seeds) =>
        seeds.Count > 2 && Enumerable.Range(1, seeds.Count - 1).All(i => seeds[i] == seeds[i - 1] + 1)
            ? $"{seeds[0]}–{seeds[^1]}"
            : string.Join(", ", seeds);

    private static long? Seed(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s <= MaxSeed ? s : null;

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
