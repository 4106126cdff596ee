namespace RobustNode.Training.Trainers;

/// <summary>
/// A warm-up over the first K epochs: epoch e &lt; K trains with a value on the way to v, epoch K on with v itself. Linear:
/// v_e = v · e / K; logarithmic (GloRo's): v_e = log(e^{v₀} + (e^{v} − e^{v₀}) e / K), v₀ = 0.01 v (<see cref="WarmupShape"/>).
/// </summary>
internal static class Warmup
{
    /// <summary>The start of GloRo's logarithmic schedule, as a fraction of the value.</summary>
    public const double LogarithmicStart = 0.01;

    /// <summary>The value in a given epoch (0-based) of a warm-up of <paramref name="epochs"/> epochs (0 or less: none).</summary>
    public static double Ramp(double value, int epoch, int epochs, WarmupShape shape = WarmupShape.Linear)
    {
        if (epochs <= 0 || epoch >= epochs) return value;
        double t = (double)epoch / epochs;
        if (shape == WarmupShape.Linear) return value * t;
        // log(e^{v₀} + (e^{v} − e^{v₀}) t) = v + log(t + (1 − t) e^{−(v − v₀)}): the same number, without overflow
        // (and v₀ itself at t = 0, where e^{−(v − v₀)} may underflow).
        double start = LogarithmicStart * value;
        return epoch == 0 ? start : value + Math.Log(t + (1 - t) * Math.Exp(start - value));
    }
}
