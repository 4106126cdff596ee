using RobustNode.Host.Denoising;
using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>
/// Iteration curves of the pnp verb, one colour per denoiser and one line pattern per image: Plug-and-Play PSNR and
/// fixed-point residual ‖x_(k+1) − x_k‖ per iteration, and the self-application's PSNR and drift per application
/// (residuals and drifts on a log₁₀ scale).
/// </summary>
internal static class ConvergencePlot
{
    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    /// <summary>PSNR and residual per PnP iteration.</summary>
    public static byte[] PlugAndPlay(PnpOutcome o) => Render(o,
        image => image.Reconstructions.Select(r => (r.Denoiser, r.Iterations.Select(i => (double)i.Iteration).ToArray(),
            r.Iterations.Select(i => i.Psnr[0]).ToArray(), r.Iterations.Select(i => i.Residual[0]).ToArray())),
        "iteration k", "PSNR of x_k (dB)", "log₁₀ ‖x_k − x_(k−1)‖", "Plug-and-Play: PSNR per iteration", "fixed-point residual per iteration", o.Request.Tolerance);

    /// <summary>PSNR and drift per self-application.</summary>
    public static byte[] SelfApplication(PnpOutcome o) => Render(o,
        image => image.SelfApplications.Select(s => (s.Denoiser, s.Steps.Select(x => (double)x.Application).ToArray(),
            s.Steps.Select(x => x.Psnr[0]).ToArray(), s.Steps.Select(x => x.Drift[0]).ToArray())),
        "application k", "PSNR of D^k(noisy) (dB)", "log₁₀ ‖x_k − x_(k−1)‖", "denoiser applied to its own output: PSNR", "drift per application", 0);

    private static byte[] Render(PnpOutcome o, Func<PnpImage, IEnumerable<(string Denoiser, double[] K, double[] Psnr, double[] Residual)>> curves,
        string x, string psnrLabel, string residualLabel, string psnrTitle, string residualTitle, double tolerance)
    {
        var psnr = new Plot();
        var residual = new Plot();
        var order = o.Denoisers.Select(d => d.Name).ToList();
        for (int i = 0; i < o.Images.Count; i++)
            foreach (var (denoiser, k, p, r) in curves(o.Images[i]))
            {
                var color = PlotStyle.Class(order.IndexOf(denoiser));
                var pattern = Patterns[i % Patterns.Length];
                string label = o.Images.Count > 1 ? $"{denoiser}, {o.Images[i].Clean.Name}" : denoiser;
                var a = psnr.Add.Scatter(k, p.Select(v => double.IsFinite(v) ? v : double.NaN).ToArray(), color);
                a.LegendText = label;
                a.LinePattern = pattern;
                a.LineWidth = 2;
                a.MarkerSize = 0;
                var b = residual.Add.Scatter(k, r.Select(v => Math.Log10(Math.Max(v, 1e-17))).ToArray(), color);
                b.LegendText = label;
                b.LinePattern = pattern;
                b.LineWidth = 2;
                b.MarkerSize = 0;
            }
        psnr.Title(psnrTitle);
        psnr.XLabel(x);
        psnr.YLabel(psnrLabel);
        psnr.ShowLegend(Alignment.LowerRight);
        residual.Title(residualTitle);
        residual.XLabel(x);
        residual.YLabel(residualLabel);
        residual.ShowLegend(Alignment.UpperRight);
        if (tolerance > 0)
        {
            var line = residual.Add.HorizontalLine(Math.Log10(tolerance), 1, Colors.Gray, LinePattern.Dotted);
            line.LegendText = "tolerance";
        }
        return PlotStyle.Png([psnr, residual], 640, 460);
    }
}
