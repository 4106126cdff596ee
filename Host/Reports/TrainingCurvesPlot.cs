using RobustNode.Training.Trainers;
using ScottPlot;

namespace RobustNode.Host.Reports;

/// <summary>Training curves per epoch: loss (solid) and minimised objective (dashed) on the left, training accuracy on the right; one colour per trainer.</summary>
internal static class TrainingCurvesPlot
{
    /// <summary>The PNG of every trainer's history.</summary>
    public static byte[] Render(IReadOnlyList<(string Trainer, IReadOnlyList<EpochMetrics> History)> trainers)
    {
        var loss = new Plot();
        var accuracy = new Plot();
        foreach (var (trainer, history) in trainers)
        {
            if (history.Count == 0) continue;
            var epochs = history.Select(m => (double)(m.Epoch + 1)).ToArray();
            var color = PlotStyle.Trainer(trainer);
            var l = loss.Add.Scatter(epochs, history.Select(m => m.Loss).ToArray(), color);
            l.LegendText = $"{trainer}: loss";
            l.LineWidth = 2;
            l.MarkerSize = 3;
            if (history.Any(m => m.Objective != m.Loss))
            {
                var o = loss.Add.Scatter(epochs, history.Select(m => m.Objective).ToArray(), color);
                o.LegendText = $"{trainer}: objective";
                o.LinePattern = LinePattern.Dashed;
                o.MarkerSize = 0;
            }
            var a = accuracy.Add.Scatter(epochs, history.Select(m => 100 * m.TrainAccuracy).ToArray(), color);
            a.LegendText = trainer;
            a.LineWidth = 2;
            a.MarkerSize = 3;
        }
        loss.Title("loss and objective per epoch");
        loss.XLabel("epoch");
        loss.YLabel("cross-entropy J, objective");
        loss.ShowLegend(Alignment.UpperRight);
        accuracy.Title("training accuracy per epoch");
        accuracy.XLabel("epoch");
        accuracy.YLabel("accuracy (%)");
        accuracy.ShowLegend(Alignment.LowerRight);
        return PlotStyle.Png([loss, accuracy], 600, 460);
    }
}
