using RobustNode.Host.Runs;
using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>Accuracy versus attack radius ε: one line per model and attack (colour: model; line pattern: attack, <see cref="PlotStyle.Attack"/>).</summary>
public static class AccuracyPlot
{
    /// <summary>The PNG of every model's curves.</summary>
    public static byte[] Render(IReadOnlyList<(string Model, ModelScores Scores)> models, string norm, string title)
    {
        var plot = new Plot();
        foreach (var (model, scores) in models)
            foreach (var curve in scores.Curves)
            {
                var line = plot.Add.Scatter(curve.Points.Select(p => p.Epsilon).ToArray(), curve.Points.Select(p => 100 * p.Accuracy).ToArray(), PlotStyle.Trainer(model));
                line.LinePattern = PlotStyle.Attack(curve.Attack);
                line.LineWidth = PlotStyle.AttackWidth(curve.Attack);
                line.MarkerShape = PlotStyle.AttackMarker(curve.Attack);
                line.MarkerSize = 6;
                line.LegendText = $"{model}, {curve.Attack}{(curve.SubsetSize is { } n ? $" (first {n})" : "")}";
            }
        plot.Title(title);
        plot.XLabel(norm == "inf" ? "ε (radius in the max-norm)" : $"ε (radius in the {norm}-norm)");
        plot.YLabel("test accuracy (%)");
        plot.Axes.SetLimitsY(0, 102);
        plot.ShowLegend(Alignment.LowerLeft);
        return PlotStyle.Png(plot, 760, 520);
    }
}
