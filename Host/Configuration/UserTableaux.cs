using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Core.Tableaux;
using RobustNode.Host.Composition;
using RobustNode.Solvers;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Configuration;

/// <summary>
/// User-defined Butcher tableaux from the <c>Tableaux</c> section: <c>Tableaux:&lt;name&gt;</c> with
/// <c>A</c> (rows; a row may stop before the diagonal, the rest is zero), <c>b</c>, <c>c</c>, <c>order</c>
/// and optionally <c>bHat</c> with <c>embeddedOrder</c>. Coefficients are numbers or exact fractions
/// written as strings (<c>"2/3"</c>). Each tableau goes through <see cref="ButcherTableau.Create"/>, so a
/// wrong coefficient is refused with the violated order condition.
/// </summary>
internal static class UserTableaux
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Tableaux";

    private static readonly string[] Keys = ["A", "b", "c", "order", "bHat", "embeddedOrder"];

    /// <summary>Most stages of a user tableau (published explicit schemes have at most a few dozen).</summary>
    public const int MaxStages = 64;

    /// <summary>Reads and validates every tableau of the section, reporting all problems of all of them.</summary>
    public static Validation<Error, Seq<ButcherTableau>> Read(IConfigurationSection section) =>
        section.GetChildren().Select(ReadTableau).Sequence().Map(toSeq);

    private static Validation<Error, ButcherTableau> ReadTableau(IConfigurationSection entry)
    {
        string name = entry.Key;
        if (SolverCatalog.BuiltIn.ContainsKey(name))
            return Fail<Error, ButcherTableau>(HostErrors.Configuration(entry.Path, $"'{name}' is a built-in solver; give the user tableau another name"));
        var keys = SettingReaders.KnownKeys(entry, Keys);
        var a = Required(entry, "A").Bind(Rows);
        var b = Required(entry, "b").Bind(Vector);
        var c = Required(entry, "c").Bind(Vector);
        var order = Required(entry, "order").Bind(_ => SettingReaders.Integer(entry, "order", 0, 1, ButcherTableau.MaxOrder));
        var bHat = entry.GetSection("bHat").Exists()
            ? Vector(entry.GetSection("bHat")).Map(Some)
            : Success<Error, Option<double[]>>(None);
        var embedded = entry.GetSection("embeddedOrder").Exists()
            ? SettingReaders.Integer(entry, "embeddedOrder", 0, 1, ButcherTableau.MaxOrder).Map(Some)
            : Success<Error, Option<int>>(None);
        return (keys, a, b, c, order, bHat, embedded)
            .Apply((_, aa, bb, cc, p, bh, q) => (aa, bb, cc, p, bh, q))
            .Bind(t => ButcherTableau.Create(name, t.aa, t.bb, t.cc, t.p,
                    t.bh.MatchUnsafe(v => v, () => null), t.q.MatchUnsafe(v => (int?)v, () => null))
                .MapFail(e => HostErrors.Configuration(entry.Path, e.Message)));
    }

    private static Validation<Error, IConfigurationSection> Required(IConfigurationSection entry, string key)
    {
        var child = entry.GetSection(key);
        return child.Exists()
            ? Success<Error, IConfigurationSection>(child)
            : Fail<Error, IConfigurationSection>(HostErrors.Configuration(child.Path, "missing"));
    }

    /// <summary>The entries of a configuration list (keys 0, 1, …); an empty JSON list has no entries.</summary>
    private static Validation<Error, IConfigurationSection[]> Items(IConfigurationSection list)
    {
        var items = list.GetChildren().ToArray();
        if (items.Length == 0 && !string.IsNullOrEmpty(list.Value))
            return Fail<Error, IConfigurationSection[]>(HostErrors.Configuration(list.Path, $"expected a list, got {Echo.Quote(list.Value)}"));
        if (items.Length > MaxStages)
            return Fail<Error, IConfigurationSection[]>(HostErrors.Configuration(list.Path, $"holds {items.Length} entries; a tableau has at most {MaxStages} stages"));
        for (int i = 0; i < items.Length; i++)
            if (items[i].Key != i.ToString(CultureInfo.InvariantCulture))
                return Fail<Error, IConfigurationSection[]>(HostErrors.Configuration(list.Path, "expected a list"));
        return Success<Error, IConfigurationSection[]>(items);
    }

    private static Validation<Error, double[]> Vector(IConfigurationSection list) =>
        Items(list).Bind(items => items.Select(Coefficient).Sequence().Map(v => v.ToArray()));

    private static Validation<Error, double[,]> Rows(IConfigurationSection list) =>
        Items(list).Bind(rows => rows.Select(Vector).Sequence().Bind(values =>
        {
            var r = values.ToArray();
            int s = r.Length;
            var tooLong = r.Select((row, i) => (row, i)).Where(x => x.row.Length > s)
                .Select(x => HostErrors.Configuration(rows[x.i].Path, $"row has {x.row.Length} entries, but A has {s} rows"))
                .ToList();
            if (tooLong.Count > 0) return Fail<Error, double[,]>(Seq(tooLong));
            var a = new double[s, s];
            for (int i = 0; i < s; i++)
                for (int j = 0; j < r[i].Length; j++) a[i, j] = r[i][j];
            return Success<Error, double[,]>(a);
        }));

    /// <summary>A coefficient: a decimal number or an exact fraction "p/q".</summary>
    private static Validation<Error, double> Coefficient(IConfigurationSection item)
    {
        var text = item.Value?.Trim() ?? "";
        if (item.GetChildren().Any())
            return Fail<Error, double>(HostErrors.Configuration(item.Path, "expected a number or a fraction like \"2/3\", got a list or section"));
        if (TryParseCoefficient(text, out var value)) return Success<Error, double>(value);
        return Fail<Error, double>(HostErrors.Configuration(item.Path, $"expected a number or a fraction like \"2/3\", got {Echo.Quote(text)}"));
    }

    internal static bool TryParseCoefficient(string text, out double value)
    {
        const NumberStyles style = NumberStyles.Float;
        var culture = CultureInfo.InvariantCulture;
        int slash = text.IndexOf('/');
        if (slash < 0) return double.TryParse(text, style, culture, out value) && double.IsFinite(value);
        value = double.NaN;
        if (!double.TryParse(text[..slash], style, culture, out var p) || !double.TryParse(text[(slash + 1)..], style, culture, out var q) || q == 0)
            return false;
        value = p / q;
        return double.IsFinite(value);
    }
}
