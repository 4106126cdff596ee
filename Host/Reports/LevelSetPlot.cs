using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>
/// The seed talk's level-set figure: for each model, its class-1 probability over a grid of the plane as a heat map
/// (blue: class 0, orange: class 1), the decision boundary p = ½ as a line, and the training points on top.
/// </summary>
internal static class LevelSetPlot
{
    /// <summary>One panel per model, side by side.</summary>
    public static byte[] Render(IReadOnlyList<(string Title, GridPrediction Grid)> models, Dataset points) =>
        PlotStyle.Png(models.Select(m => Panel(m.Title, m.Grid, points)).ToArray(), 520, 480);

    /// <summary>One model's panel.</summary>
    public static Plot Panel(string title, GridPrediction grid, Dataset? points, float pointAlpha = 1)
    {
        var plot = new Plot();
        AddLevelSets(plot, grid);
        if (points is not null) DataPlot.Points(plot, points, MarkerShape.FilledCircle, 4, null, pointAlpha);
        plot.Title(title);
        plot.Axes.SetLimits(grid.Grid.XMin, grid.Grid.XMax, grid.Grid.YMin, grid.Grid.YMax);
        return plot;
    }

    /// <summary>Adds the probability heat map and the p = ½ contour of a grid prediction.</summary>
    public static void AddLevelSets(Plot plot, GridPrediction grid, double opacity = 1)
    {
        var p = grid.ProbabilityOf(grid.Classes > 1 ? 1 : 0);
        int rows = p.GetLength(0), columns = p.GetLength(1);
        // Heat-map rows run top to bottom; the grid's rows run from YMin upwards.
        var flipped = new double[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) flipped[rows - 1 - r, c] = p[r, c];
        var heatmap = plot.Add.Heatmap(flipped);
        heatmap.Colormap = PlotStyle.Probability;
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.Extent = new CoordinateRect(grid.Grid.XMin, grid.Grid.XMax, grid.Grid.YMin, grid.Grid.YMax);
        heatmap.Opacity = opacity;
        var surface = new Coordinates3d[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) surface[r, c] = new Coordinates3d(grid.Xs[c], grid.Ys[r], p[r, c]);
        var contour = new ScottPlot.Plottables.ContourLines { ContourLineLevels = [0.5] };
        contour.Update(surface);
        contour.LineColor = Colors.Black;
        contour.LineWidth = 2;
        contour.LabelStyle.IsVisible = false;
        plot.Add.Plottable(contour);
    }
}
