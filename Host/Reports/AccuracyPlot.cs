using RobustNode.Host.Runs;
using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>
/// Accuracy versus attack radius ε: one panel per model, one line per attack (colour and pattern by attack,
/// <see cref="PlotStyle.AttackColor"/>, <see cref="PlotStyle.Attack"/>), the worst case per sample over the suite drawn
/// thick in black.
/// </summary>
internal static class AccuracyPlot
{
    /// <summary>The PNG of every model's curves.</summary>
    public static byte[] Render(IReadOnlyList<(string Model, ModelScores Scores)> models, string norm, string title)
    {
        var panels = models.Select(m =>
        {
            var plot = new Plot();
            foreach (var curve in m.Scores.Curves)
            {
                var line = plot.Add.Scatter(curve.Points.Select(p => p.Epsilon).ToArray(), curve.Points.Select(p => 100 * p.Accuracy).ToArray(), PlotStyle.AttackColor(curve.Attack));
                line.LinePattern = PlotStyle.Attack(curve.Attack);
                line.LineWidth = PlotStyle.AttackWidth(curve.Attack);
                line.MarkerShape = PlotStyle.AttackMarker(curve.Attack);
                line.MarkerSize = 6;
                line.LegendText = $"{curve.Attack}{(curve.SubsetSize is { } n ? $" (first {n})" : "")}";
            }
            plot.Title(models.Count == 1 ? $"{title}: {m.Model}" : $"{m.Model}: {title}");
            plot.XLabel(norm == "inf" ? "ε (radius in the max-norm)" : $"ε (radius in the {norm}-norm)");
            plot.YLabel("test accuracy (%)");
            plot.Axes.SetLimitsY(0, 102);
            plot.ShowLegend(Alignment.LowerLeft);
            return plot;
        }).ToArray();
        return PlotStyle.Png(panels, 640, 520, columns: Math.Min(3, panels.Length));
    }
}
