using System.Globalization;
using RobustNode.Training.Evaluation;
using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>Attacked points of the plane: the clean point, an arrow to its adversarial example, and the example marked by whether it fools the model.</summary>
/// <param name="Title">Panel title (the model).</param>
/// <param name="Clean">Clean points [n] as (x, y).</param>
/// <param name="Adversarial">Adversarial examples [n] as (x, y).</param>
/// <param name="Labels">True classes.</param>
/// <param name="Predicted">The model's classes at the adversarial examples.</param>
/// <param name="Grid">The model's level sets, drawn faintly behind (optional).</param>
internal sealed record AttackedPoints(string Title, Coordinates[] Clean, Coordinates[] Adversarial, long[] Labels, long[] Predicted, GridPrediction? Grid)
{
    /// <summary>Fraction of adversarial examples still classified correctly.</summary>
    public double Accuracy => Labels.Length == 0 ? 0 : Enumerable.Range(0, Labels.Length).Count(i => Labels[i] == Predicted[i]) / (double)Labels.Length;
}

/// <summary>The arrows plot: test points moved by an attack (FGSM by default) from clean to adversarial, one panel per model.</summary>
internal static class AttackArrowsPlot
{
    /// <summary>The PNG, one panel per model.</summary>
    public static byte[] Render(IReadOnlyList<AttackedPoints> models, string attack) =>
        PlotStyle.Png(models.Select(m => Panel(m, attack)).ToArray(), 520, 480);

    private static Plot Panel(AttackedPoints m, string attack)
    {
        var plot = new Plot();
        if (m.Grid is { } grid)
        {
            LevelSetPlot.AddLevelSets(plot, grid, opacity: 0.45);
            plot.Axes.SetLimits(grid.Grid.XMin, grid.Grid.XMax, grid.Grid.YMin, grid.Grid.YMax);
        }
        for (int i = 0; i < m.Clean.Length; i++)
        {
            var arrow = plot.Add.Arrow(m.Clean[i], m.Adversarial[i]);
            bool fooled = m.Predicted[i] != m.Labels[i];
            arrow.ArrowFillColor = (fooled ? Color.FromHex("#d62728") : Color.FromHex("#505050")).WithAlpha(fooled ? 0.9 : 0.55);
            arrow.ArrowLineWidth = 0;
            arrow.ArrowWidth = 1;
            arrow.ArrowheadWidth = 5;
            arrow.ArrowheadLength = 5;
            arrow.ArrowheadAxisLength = 5;
            arrow.ArrowMinimumLength = 0;
        }
        for (int c = 0; c <= (m.Labels.Length == 0 ? 0 : (int)m.Labels.Max()); c++)
        {
            var idx = Enumerable.Range(0, m.Labels.Length).Where(i => m.Labels[i] == c).ToArray();
            if (idx.Length == 0) continue;
            var markers = plot.Add.Markers(idx.Select(i => m.Clean[i]).ToArray(), MarkerShape.FilledCircle, 4, PlotStyle.Class(c));
            markers.LegendText = $"class {c}";
        }
        var fooledIdx = Enumerable.Range(0, m.Labels.Length).Where(i => m.Predicted[i] != m.Labels[i]).ToArray();
        if (fooledIdx.Length > 0)
        {
            var fooled = plot.Add.Markers(fooledIdx.Select(i => m.Adversarial[i]).ToArray(), MarkerShape.Eks, 6, Color.FromHex("#d62728"));
            fooled.LegendText = "misclassified after attack";
        }
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{m.Title}: {attack}, accuracy {m.Accuracy:P1}"));
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }
}
