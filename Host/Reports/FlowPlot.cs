using System.Globalization;
using RobustNode.Host.Runs;
using ScottPlot;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;
using GifImage = SixLabors.ImageSharp.Image;
using ImageMetadata = SixLabors.ImageSharp.MetadataExtensions;

namespace RobustNode.Host.Reports;

/// <summary>
/// The flow of the ODE block, one panel per model (the seed talk's movie, the survey's GIF): <c>trajectories.png</c>,
/// every point's path through the layers coloured by class over the head's level sets, and <c>flow.gif</c>, one
/// frame per layer boundary with the points where the flow has carried them.
/// </summary>
internal static class FlowPlot
{
    private const int PanelWidth = 380, PanelHeight = 360;

    /// <summary>Delay between frames and on the last frame, in hundredths of a second.</summary>
    private const int FrameDelay = 45, LastFrameDelay = 180;

    /// <summary>The PNG of every model's paths: start (hollow) to end (filled), the head's level sets behind.</summary>
    public static byte[] Trajectories(IReadOnlyList<(string Title, PlanarFlow Flow)> models) =>
        PlotStyle.Png(models.Select(m => Panel($"{m.Title}: paths through {m.Flow.Layers} layers", m.Flow, m.Flow.Layers, trails: true)).ToArray(), 520, 480);

    /// <summary>The animated GIF: frame k shows every model's points at the layer boundary t_k, with faint trails behind.</summary>
    public static byte[] Animation(IReadOnlyList<(string Title, PlanarFlow Flow)> models)
    {
        int frames = models.Max(m => m.Flow.Layers) + 1;
        SixLabors.ImageSharp.Image<Rgba32>? gif = null;
        try
        {
            for (int k = 0; k < frames; k++)
            {
                var panels = models.Select(m =>
                {
                    int layer = Math.Min(k, m.Flow.Layers);
                    return Panel(FormattableString.Invariant($"{m.Title}: layer {layer} of {m.Flow.Layers}, t = {m.Flow.Times[layer]:0.###}"), m.Flow, layer, trails: false);
                }).ToArray();
                // BMP keeps the hand-over from ScottPlot's renderer to the GIF encoder free of compression work.
                var frame = GifImage.Load<Rgba32>(Bitmap(panels));
                ImageMetadata.GetGifMetadata(frame.Frames.RootFrame.Metadata).FrameDelay = k == frames - 1 ? LastFrameDelay : FrameDelay;
                if (gif is null) gif = frame;
                else
                {
                    gif.Frames.AddFrame(frame.Frames.RootFrame);
                    frame.Dispose();
                }
            }
            ImageMetadata.GetGifMetadata(gif!.Metadata).RepeatCount = 0;
            using var buffer = new MemoryStream();
            // Undithered colours keep the smooth background small; one palette serves every frame (they share their colours).
            gif.Save(buffer, new GifEncoder
            {
                ColorTableMode = GifColorTableMode.Global,
                Quantizer = new WuQuantizer(new QuantizerOptions { Dither = null }),
            });
            return buffer.ToArray();
        }
        finally
        {
            gif?.Dispose();
        }
    }

    private static byte[] Bitmap(IReadOnlyList<Plot> panels)
    {
        if (panels.Count == 1) return panels[0].GetImageBytes(PanelWidth, PanelHeight, ImageFormat.Bmp);
        var multiplot = new Multiplot(panels[0]);
        foreach (var panel in panels.Skip(1)) multiplot.AddPlot(panel);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(1, panels.Count);
        return multiplot.Render(PanelWidth * panels.Count, PanelHeight).GetImageBytes(ImageFormat.Bmp, 100);
    }

    /// <summary>One model at layer boundary <paramref name="layer"/>: level sets, paths up to it (full or faint), and the points there.</summary>
    private static Plot Panel(string title, PlanarFlow flow, int layer, bool trails)
    {
        var plot = new Plot();
        LevelSetPlot.AddLevelSets(plot, flow.Head, opacity: 0.8);
        int n = flow.Labels.Length;
        for (int i = 0; i < n; i++)
        {
            if (layer == 0) break;
            var path = plot.Add.ScatterLine(
                Enumerable.Range(0, layer + 1).Select(k => flow.X[k][i]).ToArray(),
                Enumerable.Range(0, layer + 1).Select(k => flow.Y[k][i]).ToArray(),
                PlotStyle.Class(flow.Labels[i]).WithAlpha(trails ? 0.45 : 0.18));
            path.LineWidth = trails ? 1 : 0.8f;
        }
        for (int c = 0; c <= flow.Labels.DefaultIfEmpty(0).Max(); c++)
        {
            var idx = Enumerable.Range(0, n).Where(i => flow.Labels[i] == c).ToArray();
            if (idx.Length == 0) continue;
            if (trails)
                plot.Add.Markers(idx.Select(i => flow.X[0][i]).ToArray(), idx.Select(i => flow.Y[0][i]).ToArray(), MarkerShape.OpenCircle, 4, PlotStyle.Class(c).WithAlpha(0.7));
            var end = plot.Add.Markers(idx.Select(i => flow.X[layer][i]).ToArray(), idx.Select(i => flow.Y[layer][i]).ToArray(), MarkerShape.FilledCircle, 5, PlotStyle.Class(c));
            end.MarkerLineColor = Colors.White;
            end.MarkerLineWidth = 0.6f;
            end.LegendText = string.Create(CultureInfo.InvariantCulture, $"class {c}");
        }
        plot.Title(title, size: 13);
        plot.XLabel(flow.XLabel, size: 11);
        plot.YLabel(flow.YLabel, size: 11);
        var grid = flow.Head.Grid;
        plot.Axes.SetLimits(grid.XMin, grid.XMax, grid.YMin, grid.YMax);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }
}
