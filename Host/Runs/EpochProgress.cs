using System.Globalization;
using RobustNode.Host.Composition;
using RobustNode.Training.Trainers;

namespace RobustNode.Host.Runs;

/// <summary>
/// The console's view of a trainer's epochs, on stderr: on a terminal a bar redrawn after every mini-batch and left
/// standing at the end of each epoch; when stderr is redirected one plain line per epoch. Both show the epoch, the
/// loss, the objective, the training accuracy and the epoch's wall time. When trainers run side by side
/// (<paramref name="sideBySide"/>) there are no bars, only the epochs' lines, each written whole, so that the trainers'
/// lines alternate but never mix.
/// </summary>
internal sealed class EpochProgress(HostConsole console, string trainer, int epochs, bool sideBySide = false) : IProgress<BatchProgress>
{
    private const int Width = 24;
    private readonly int _digits = epochs.ToString(CultureInfo.InvariantCulture).Length;
    private DateTime _lastDraw = DateTime.MinValue;

    /// <summary>Redraws the bar after a mini-batch (terminal only, at most 20 times a second).</summary>
    public void Report(BatchProgress value)
    {
        if (!console.Interactive || sideBySide) return;
        var now = DateTime.UtcNow;
        if (value.Batch + 1 < value.Batches && (now - _lastDraw).TotalMilliseconds < 50) return;
        _lastDraw = now;
        double done = (value.Batch + 1) / (double)value.Batches;
        console.Error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r{Prefix(value.Epoch)} {Bar(done)} {value.Batch + 1}/{value.Batches} loss {DivergenceRule.Format(value.Loss)}   "));
        console.Error.Flush();
    }

    /// <summary>Writes the finished epoch's line.</summary>
    public void Epoch(EpochMetrics m)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{Prefix(m.Epoch)} {Bar(1)} loss {DivergenceRule.Format(m.Loss)}  objective {DivergenceRule.Format(m.Objective)}  train accuracy {m.TrainAccuracy:P1}  {m.WallTime.TotalSeconds:F2} s");
        if (sideBySide)
        {
            // One lock for all trainers: the console's writer need not be thread-safe (a StringWriter in tests).
            lock (console.Error)
            {
                console.Error.WriteLine(line);
                console.Error.Flush();
            }
            return;
        }
        console.Error.WriteLine(console.Interactive ? "\r" + line + "   " : line);
        console.Error.Flush();
    }

    private string Prefix(int epoch) => string.Create(CultureInfo.InvariantCulture, $"{trainer,-9} epoch {(epoch + 1).ToString().PadLeft(_digits)}/{epochs}");

    private static string Bar(double fraction)
    {
        int filled = (int)Math.Round(fraction * Width);
        return "[" + new string('#', filled) + new string('.', Width - filled) + "]";
    }
}
