using RobustNode.Training.Data;
using ScottPlot;
using static TorchSharp.torch;

namespace RobustNode.Host.Reports;

/// <summary>A two-dimensional data set: training points filled, test points hollow, coloured by class.</summary>
internal static class DataPlot
{
    /// <summary>The PNG of the training and test points.</summary>
    public static byte[] Render(Dataset train, Dataset test, string title)
    {
        var plot = new Plot();
        Points(plot, train, MarkerShape.FilledCircle, 5, "train");
        Points(plot, test, MarkerShape.OpenCircle, 6, "test");
        plot.Title(title);
        plot.XLabel("x₁");
        plot.YLabel("x₂");
        plot.Axes.SquareUnits();
        plot.ShowLegend(Alignment.UpperRight);
        return PlotStyle.Png(plot, 700, 520);
    }

    /// <summary>Adds a data set's points, one marker group per class.</summary>
    public static void Points(Plot plot, Dataset data, MarkerShape shape, float size, string? legend, float alpha = 1)
    {
        var (xs, ys, labels) = Coordinates(data.X, data.Labels);
        for (int c = 0; c < data.Classes; c++)
        {
            var idx = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            if (idx.Length == 0) continue;
            var markers = plot.Add.Markers(idx.Select(i => xs[i]).ToArray(), idx.Select(i => ys[i]).ToArray(), shape, size, PlotStyle.Class(c).WithAlpha(alpha));
            if (shape == MarkerShape.FilledCircle)
            {
                markers.MarkerLineColor = Colors.White.WithAlpha(alpha);
                markers.MarkerLineWidth = 0.6f;
            }
            if (legend is not null) markers.LegendText = $"class {c} ({legend})";
        }
    }

    /// <summary>The x and y coordinates and labels of a two-dimensional data set.</summary>
    public static (double[] Xs, double[] Ys, long[] Labels) Coordinates(Tensor x, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var values = x.to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();
        int n = (int)x.shape[0];
        return (Enumerable.Range(0, n).Select(i => values[2 * i]).ToArray(),
                Enumerable.Range(0, n).Select(i => values[2 * i + 1]).ToArray(),
                labels.to(ScalarType.Int64, CPU).data<long>().ToArray());
    }
}
