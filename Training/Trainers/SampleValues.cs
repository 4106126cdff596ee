using RobustNode.Core.Engines;

namespace RobustNode.Training.Trainers;

/// <summary>
/// Per-sample numbers ([B] values of an engine) as managed doubles and back. The few scalar formulas of the robust
/// objectives — cosines and norms of input gradients, signs of residuals, per-sample weights — act on B numbers, so they
/// are computed on the host, where they read as the formulas they are, and return to the engine as row factors.
/// </summary>
internal static class SampleValues
{
    /// <summary>The B values of a per-sample engine value [B].</summary>
    public static double[] Read<T>(IEngine<T> engine, T values) => engine.ToArray(values);

    /// <summary>Row i of x [B, …] times factors[i], with the factors made in x's element type and device.</summary>
    public static T ScaleRows<T>(IEngine<T> engine, T x, double[] factors) => engine.ScaleRows(x, engine.FromValues(factors, x, factors.Length));

    /// <summary>Per sample, ⟨aᵢ, bᵢ⟩ over every dimension but the first.</summary>
    public static double[] Dot<T>(IEngine<T> engine, T a, T b)
    {
        using var scope = engine.OpenScope();
        return engine.ToArray(engine.SumPerSample(engine.Multiply(a, b)));
    }

    /// <summary>The mean of the values.</summary>
    public static double Mean(double[] values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return values.Length == 0 ? 0 : sum / values.Length;
    }
}
