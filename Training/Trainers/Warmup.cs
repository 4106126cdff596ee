namespace RobustNode.Training.Trainers;

/// <summary>A linear warm-up over the first epochs: v_e = v · min(1, e / K), so epoch 0 trains with 0 and epoch K on with v.</summary>
internal static class Warmup
{
    /// <summary>The value in a given epoch (0-based) of a warm-up of <paramref name="epochs"/> epochs (0 or less: none).</summary>
    public static double Ramp(double value, int epoch, int epochs) => epochs <= 0 ? value : value * Math.Min(1.0, (double)epoch / epochs);
}
