using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>One image of a grid: grey levels [height, width] in [0, 1] and a caption.</summary>
internal sealed record CaptionedImage(double[,] Pixels, string Caption, bool Highlight = false);

/// <summary>
/// Grey-level images in a grid with a caption under each (e.g. "7 → 3"), for the data of image experiments and for
/// clean and adversarial examples side by side. Highlighted captions (misclassified examples) are red.
/// </summary>
internal static class ImageGridPlot
{
    /// <summary>The PNG of the images, <paramref name="columns"/> per row, each drawn <paramref name="cellPixels"/> wide.</summary>
    public static byte[] Render(IReadOnlyList<CaptionedImage> images, int columns, string title, int cellPixels = 110)
    {
        var plot = new Plot();
        const double cell = 1.0, gap = 0.15, caption = 0.35;
        int rows = (images.Count + columns - 1) / columns;
        var grey = new ScottPlot.Colormaps.Custom([Colors.Black, Colors.White], true);
        for (int k = 0; k < images.Count; k++)
        {
            int row = k / columns, column = k % columns;
            double left = column * (cell + gap), top = -row * (cell + gap + caption);
            var heatmap = plot.Add.Heatmap(images[k].Pixels);
            heatmap.Colormap = grey;
            heatmap.ManualRange = new ScottPlot.Range(0, 1);
            heatmap.Extent = new CoordinateRect(left, left + cell, top - cell, top);
            var text = plot.Add.Text(images[k].Caption, left + cell / 2, top - cell - 0.02);
            text.LabelFontSize = 13;
            text.LabelAlignment = Alignment.UpperCenter;
            text.LabelFontColor = images[k].Highlight ? Color.FromHex("#d62728") : Colors.Black;
            text.LabelBold = images[k].Highlight;
        }
        plot.HideGrid();
        plot.Layout.Frameless();
        plot.Axes.SetLimits(-gap, columns * (cell + gap), -rows * (cell + gap + caption), 0.5);
        plot.Add.Text(title, columns * (cell + gap) / 2 - gap / 2, 0.42).LabelAlignment = Alignment.UpperCenter;
        plot.Axes.SquareUnits();
        return PlotStyle.Png(plot, Math.Max(420, cellPixels * columns), 40 + (int)(cellPixels * rows * (cell + gap + caption) / cell));
    }
}
