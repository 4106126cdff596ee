using ScottPlot;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>Peak memory against depth N on log–log axes, one line per method (ScottPlot, PNG).</summary>
internal static class MemoryPlot
{
    public static bool Write(string path, IReadOnlyList<Measurement> results, IReadOnlyList<string> methods)
    {
        // Memory versus N needs at least two depths; a run at one depth leaves the plot of an earlier run alone.
        if (results.Select(r => r.Layers).Distinct().Count() < 2) return false;
        var plot = new Plot();
        foreach (var method in methods)
        {
            var points = results.Where(r => r.Method == method && r.PeakBytes is > 0).OrderBy(r => r.Layers).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.Scatter(points.Select(p => Math.Log10(p.Layers)).ToArray(), points.Select(p => Math.Log10(p.PeakBytes!.Value / 1e6)).ToArray());
            line.LegendText = method;
            line.LineWidth = 2;
            line.MarkerSize = 8;
        }
        var size = results.Count > 0 ? results[0].Size : new BenchmarkSize(1, BenchmarkProblem.Batch, BenchmarkProblem.Dim, 1);
        plot.Title($"Peak memory of one augmented-loss gradient (d = {size.Dim}, B = {size.Batch}, RK4, float32)");
        plot.XLabel("layers N");
        plot.YLabel("peak memory (MB)");
        plot.Axes.Bottom.TickGenerator = LogTicks();
        plot.Axes.Left.TickGenerator = LogTicks();
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 900, 560);
        Console.WriteLine($"wrote {path}");
        return true;
    }

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = y => Math.Pow(10, y).ToString(y < 0 ? "0.###" : "N0", System.Globalization.CultureInfo.InvariantCulture),
    };
}
