using System.Globalization;
using System.Text;
using RobustNode.Host.Runs;

namespace RobustNode.Host.Reports;

/// <summary>Accuracy versus ε as a markdown table: one row per model and attack, one column per radius.</summary>
internal static class AccuracyTable
{
    /// <summary>The table; accuracies in percent with one decimal.</summary>
    public static string Markdown(IReadOnlyList<(string Model, ModelScores Scores)> models)
    {
        var epsilons = models.SelectMany(m => m.Scores.Curves).SelectMany(c => c.Points).Select(p => p.Epsilon).Distinct().ToList();
        var text = new StringBuilder();
        text.Append("| model | attack | clean |");
        foreach (var e in epsilons) text.Append(CultureInfo.InvariantCulture, $" ε = {e:G4} |");
        text.AppendLine();
        text.Append("|---|---|---:|");
        foreach (var _ in epsilons) text.Append("---:|");
        text.AppendLine();
        foreach (var (model, scores) in models)
            foreach (var curve in scores.Curves)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {model} | {curve.Attack}{(curve.SubsetSize is { } n ? $" (first {n} test samples)" : "")} | {Percent(scores.CleanAccuracy)} |");
                foreach (var e in epsilons)
                {
                    var point = curve.Points.FirstOrDefault(p => p.Epsilon == e);
                    text.Append(' ').Append(point is null ? "–" : Percent(point.Accuracy)).Append(" |");
                }
                text.AppendLine();
            }
        return text.ToString();
    }

    /// <summary>A fraction as a percentage with one decimal.</summary>
    public static string Percent(double fraction) => (100 * fraction).ToString("F1", CultureInfo.InvariantCulture) + " %";
}
