using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>What the plots share: class and trainer colours, line patterns per attack, and rendering to PNG bytes.</summary>
internal static class PlotStyle
{
    /// <summary>Class colours (blue and orange as in the seed talk's point-cloud figure, then a qualitative palette).</summary>
    public static Color Class(int c) => ClassColors[c % ClassColors.Length];

    private static readonly Color[] ClassColors =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"), Color.FromHex("#9467bd"),
        Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"), Color.FromHex("#bcbd22"), Color.FromHex("#17becf"),
    ];

    /// <summary>
    /// A trainer's colour: standard grey-blue, augmented green, pgd purple, fgsm-rs brown, trades pink, gradalign cyan, llr
    /// olive, augmented-adversarial red, lipschitz-margin orange, gloro gold, gloro-trades dark
    /// goldenrod, others from the palette.
    /// </summary>
    public static Color Trainer(string name) => name switch
    {
        "standard" => Color.FromHex("#4c72b0"),
        "augmented" => Color.FromHex("#2ca02c"),
        "pgd" => Color.FromHex("#9467bd"),
        "fgsm-rs" => Color.FromHex("#8c564b"),
        "trades" => Color.FromHex("#e377c2"),
        "gradalign" => Color.FromHex("#17becf"),
        "llr" => Color.FromHex("#bcbd22"),
        "augmented-adversarial" => Color.FromHex("#d62728"),
        "lipschitz-margin" => Color.FromHex("#ff7f0e"),
        "gloro" => Color.FromHex("#d4a017"),
        "gloro-trades" => Color.FromHex("#8b6508"),
        _ => Class(name.Sum(c => c) % 10),
    };

    /// <summary>
    /// The line pattern of an attack curve: solid for FGSM and the worst case over an attack suite, dashed for PGD,
    /// densely dashed for APGD, dotted for Square.
    /// </summary>
    public static LinePattern Attack(string family) =>
        family.StartsWith("pgd", StringComparison.Ordinal) ? LinePattern.Dashed
        : family.StartsWith("apgd", StringComparison.Ordinal) ? LinePattern.DenselyDashed
        : family.StartsWith("square", StringComparison.Ordinal) ? LinePattern.Dotted
        : LinePattern.Solid;

    /// <summary>
    /// An attack curve's colour where one model's curves share a panel: FGSM orange, PGD purple, APGD-CE blue, APGD-T
    /// (DLR or margin) teal, Square olive, the worst case over the suite black.
    /// </summary>
    public static Color AttackColor(string family) =>
        family.StartsWith("worst-case", StringComparison.Ordinal) ? Color.FromHex("#000000")
        : family.StartsWith("fgsm", StringComparison.Ordinal) ? Color.FromHex("#ff7f0e")
        : family.StartsWith("pgd", StringComparison.Ordinal) ? Color.FromHex("#9467bd")
        : family.StartsWith("apgd-ce", StringComparison.Ordinal) ? Color.FromHex("#1f77b4")
        : family.StartsWith("apgd", StringComparison.Ordinal) ? Color.FromHex("#17becf")
        : family.StartsWith("square", StringComparison.Ordinal) ? Color.FromHex("#bcbd22")
        : Color.FromHex("#7f7f7f");

    /// <summary>Line width of an attack curve: the worst case over an attack suite (<c>worst-case-…</c>) stands out.</summary>
    public static float AttackWidth(string family) =>
        family.StartsWith("worst-case", StringComparison.Ordinal) ? 3.5f : family.StartsWith("certified", StringComparison.Ordinal) ? 3 : 2;

    /// <summary>Marker of an attack curve: the certified accuracy (<c>certified-…</c>, a proven lower bound of every attack's) has squares.</summary>
    public static MarkerShape AttackMarker(string family) =>
        family.StartsWith("certified", StringComparison.Ordinal) ? MarkerShape.FilledSquare : MarkerShape.FilledCircle;

    /// <summary>The light blue → white → light orange map of class-1 probabilities in level-set plots (light, so that the points on top stand out).</summary>
    public static IColormap Probability { get; } = new ScottPlot.Colormaps.Custom(
        [Color.FromHex("#9ecae1"), Color.FromHex("#deebf7"), Color.FromHex("#ffffff"), Color.FromHex("#fee6ce"), Color.FromHex("#fdae6b")], true);

    /// <summary>The plot as PNG bytes.</summary>
    public static byte[] Png(Plot plot, int width, int height) => plot.GetImageBytes(width, height, ImageFormat.Png);

    /// <summary>Panels side by side (one row), as PNG bytes.</summary>
    public static byte[] Png(IReadOnlyList<Plot> panels, int panelWidth, int height, int columns = 0)
    {
        if (panels.Count == 1) return Png(panels[0], panelWidth, height);
        columns = columns > 0 ? Math.Min(columns, panels.Count) : panels.Count;
        int rows = (panels.Count + columns - 1) / columns;
        var multiplot = new Multiplot(panels[0]);
        foreach (var panel in panels.Skip(1)) multiplot.AddPlot(panel);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        return multiplot.Render(panelWidth * columns, height * rows).GetImageBytes(ImageFormat.Png, 100);
    }
}
