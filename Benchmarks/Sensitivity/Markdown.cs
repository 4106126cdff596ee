using System.Globalization;
using System.Text;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>Markdown tables for the benchmark reports.</summary>
internal static class Markdown
{
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|" + string.Concat(header.Select((_, i) => i == 0 ? " --- |" : " ---: |")));
        foreach (var row in rows) sb.AppendLine("| " + string.Join(" | ", row) + " |");
        return sb.ToString();
    }

    public static string Ms(double ms) => ms.ToString(ms < 10 ? "F2" : ms < 100 ? "F1" : "F0", CultureInfo.InvariantCulture);

    public static string MB(long? bytes) => bytes is { } b ? (b / 1e6).ToString(b < 10e6 ? "F2" : "F1", CultureInfo.InvariantCulture) : "—";

    public static string Ratio(double r) => r.ToString(r < 10 ? "F2" : "F1", CultureInfo.InvariantCulture) + "×";

    public static string Sci(double x) => x.ToString("0.0E+0", CultureInfo.InvariantCulture);

    public static string Verdict(bool met) => met ? "**met**" : "**missed**";
}
