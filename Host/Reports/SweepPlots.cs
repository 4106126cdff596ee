using RobustNode.Host.Schemas;
using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>
/// The plots of a sweep, from its report: <c>accuracy.png</c> (every trainer and attack, mean over seeds with 95 %
/// interval bars), <c>robust-accuracy.png</c> (robust accuracy per trainer, mean with a shaded 95 % band) — one panel
/// per grid point — and <c>pareto.png</c> (robust accuracy against training seconds per epoch, one point per trainer
/// and grid point with 95 % interval bars on both axes).
/// </summary>
internal static class SweepPlots
{
    /// <summary>Every plot of a sweep, with its file name.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> Render(SweepReportFile report) =>
    [
        ("accuracy.png", Accuracy(report)),
        ("robust-accuracy.png", RobustAccuracy(report)),
        ("pareto.png", Pareto(report)),
    ];

    private static string Seeds(SweepReportFile report) => $"{report.Seeds.Count} seed{(report.Seeds.Count == 1 ? "" : "s")}";

    private static string EpsilonLabel(string norm) => norm == "inf" ? "ε (radius in the max-norm)" : $"ε (radius in the {norm}-norm)";

    /// <summary>
    /// Half-widths of an interval around a mean, 0 where it is undefined (one seed); in plots an interval is clipped to
    /// what the quantity can be (accuracies in [0, 1], times ≥ 0), the report keeps it as computed.
    /// </summary>
    private static double Below(double mean, double low, double floor = 0) => double.IsFinite(low) ? Math.Max(0, mean - Math.Max(low, floor)) : 0;

    private static double Above(double mean, double high, double ceiling = 1) => double.IsFinite(high) ? Math.Max(0, Math.Min(high, ceiling) - mean) : 0;

    private static byte[] Accuracy(SweepReportFile report) => PlotStyle.Png(report.Points.Select(point =>
    {
        var plot = new Plot();
        foreach (var trainer in point.Trainers)
            foreach (var curve in trainer.Robustness)
            {
                var xs = curve.Points.Select(p => p.Epsilon).ToArray();
                var ys = curve.Points.Select(p => 100 * p.Accuracy).ToArray();
                var line = plot.Add.Scatter(xs, ys, PlotStyle.Trainer(trainer.Name));
                line.LinePattern = PlotStyle.Attack(curve.Attack);
                line.LineWidth = PlotStyle.AttackWidth(curve.Attack);
                line.MarkerSize = 5;
                line.LegendText = $"{trainer.Name}, {curve.Attack}{(curve.TestSamples is { } n ? $" (first {n})" : "")}";
                var none = new double[xs.Length];
                var bars = new ScottPlot.Plottables.ErrorBar(xs, ys, none, none,
                    curve.Points.Select(p => 100 * Above(p.Accuracy, p.Ci95High ?? double.NaN)).ToArray(),
                    curve.Points.Select(p => 100 * Below(p.Accuracy, p.Ci95Low ?? double.NaN)).ToArray())
                { Color = PlotStyle.Trainer(trainer.Name) };
                plot.Add.Plottable(bars);
            }
        plot.Title(Title(point, $"test accuracy, mean and 95 % interval over {Seeds(report)}"));
        plot.XLabel(EpsilonLabel(report.Norm));
        plot.YLabel("test accuracy (%)");
        plot.Axes.SetLimitsY(0, 102);
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }).ToArray(), 760, 540, columns: 2);

    private static byte[] RobustAccuracy(SweepReportFile report) => PlotStyle.Png(report.Points.Select(point =>
    {
        var plot = new Plot();
        foreach (var trainer in point.Trainers)
        {
            var r = trainer.RobustAccuracy;
            if (r.Points.Count == 0) continue;
            var xs = r.Points.Select(p => p.Epsilon).ToArray();
            var color = PlotStyle.Trainer(trainer.Name);
            if (r.Points.All(p => double.IsFinite(p.Ci95Low)))
            {
                var band = plot.Add.FillY(xs, r.Points.Select(p => 100 * Math.Clamp(p.Ci95Low, 0, 1)).ToArray(), r.Points.Select(p => 100 * Math.Clamp(p.Ci95High, 0, 1)).ToArray());
                band.FillColor = color.WithAlpha(0.15);
                band.LineWidth = 0;
                band.MarkerSize = 0;
            }
            var line = plot.Add.Scatter(xs, r.Points.Select(p => 100 * p.Mean).ToArray(), color);
            line.LineWidth = 2.5f;
            line.MarkerSize = 6;
            line.LegendText = $"{trainer.Name} ({r.Attack})";
        }
        plot.Title(Title(point, $"robust accuracy, mean and 95 % band over {Seeds(report)}"));
        plot.XLabel(EpsilonLabel(report.Norm));
        plot.YLabel("robust test accuracy (%)");
        plot.Axes.SetLimitsY(0, 102);
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }).ToArray(), 760, 540, columns: 2);

    private static byte[] Pareto(SweepReportFile report)
    {
        var plot = new Plot();
        foreach (var p in report.Pareto.Points)
        {
            var color = PlotStyle.Trainer(p.Trainer);
            double x = p.SecondsPerEpoch.Mean, y = 100 * p.RobustAccuracy.Mean;
            plot.Add.Plottable(new ScottPlot.Plottables.ErrorBar([x], [y],
                [Above(x, p.SecondsPerEpoch.Ci95High, double.PositiveInfinity)], [Below(x, p.SecondsPerEpoch.Ci95Low)],
                [100 * Above(p.RobustAccuracy.Mean, p.RobustAccuracy.Ci95High)], [100 * Below(p.RobustAccuracy.Mean, p.RobustAccuracy.Ci95Low)])
            { Color = color });
            var marker = plot.Add.Marker(x, y, MarkerShape.FilledCircle, 10, color);
            marker.LegendText = $"{p.Label}: {p.Attack}";
            var label = plot.Add.Text(p.Label, x, y);
            label.LabelFontSize = 12;
            label.LabelFontColor = color;
            label.LabelOffsetX = 8;
            label.LabelOffsetY = -18;
        }
        plot.Title(FormattableString.Invariant($"robust accuracy at ε = {report.Pareto.Epsilon:G4} versus training time ({Seeds(report)}, 95 % intervals)"));
        plot.XLabel("training time per epoch (s, median of each run's epochs)");
        plot.YLabel("robust test accuracy (%)");
        plot.Axes.SetLimitsY(0, 102);
        double right = report.Pareto.Points.Select(p => double.IsFinite(p.SecondsPerEpoch.Ci95High) ? Math.Max(p.SecondsPerEpoch.Mean, p.SecondsPerEpoch.Ci95High) : p.SecondsPerEpoch.Mean)
            .Where(double.IsFinite).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsX(0, 1.2 * right);
        plot.ShowLegend(Alignment.LowerRight);
        return PlotStyle.Png(plot, 820, 560);
    }

    private static string Title(SweepPointJson point, string what) => point.Name.Length == 0 ? what : $"{point.Name}: {what}";
}
