using RobustNode.Training.Denoising;
using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>A denoiser's training curve: PSNR of the denoised and of the noisy training patches per epoch.</summary>
internal static class DenoisingCurvesPlot
{
    /// <summary>The PNG of the history.</summary>
    public static byte[] Render(string denoiser, IReadOnlyList<DenoisingEpoch> history)
    {
        var plot = new Plot();
        var epochs = history.Select(m => (double)(m.Epoch + 1)).ToArray();
        var denoised = plot.Add.Scatter(epochs, history.Select(m => m.Psnr).ToArray(), PlotStyle.Trainer(denoiser));
        denoised.LegendText = "denoised patches";
        denoised.LineWidth = 2;
        denoised.MarkerSize = 4;
        var noisy = plot.Add.Scatter(epochs, history.Select(m => m.NoisyPsnr).ToArray(), Colors.Gray);
        noisy.LegendText = "noisy patches";
        noisy.LinePattern = LinePattern.Dashed;
        noisy.MarkerSize = 0;
        plot.Title($"{denoiser}: training PSNR per epoch");
        plot.XLabel("epoch");
        plot.YLabel("PSNR (dB)");
        plot.ShowLegend(Alignment.LowerRight);
        return PlotStyle.Png(plot, 640, 420);
    }
}
