using RobustNode.Core.Engines;

namespace RobustNode.Sensitivity.Problems;

/// <summary>Moves result values out of a method's engine scope.</summary>
internal static class Escape
{
    public static T[] Out<T>(this IEngine<T> engine, IReadOnlyList<T> values)
    {
        var kept = new T[values.Count];
        for (int i = 0; i < kept.Length; i++) kept[i] = engine.Keep(values[i]);
        return kept;
    }

    public static LossGradient<T> Out<T>(this LossGradient<T> g, IEngine<T> engine) => g with
    {
        ControlGradients = engine.Out(g.ControlGradients),
        InputSensitivity = engine.Keep(g.InputSensitivity),
        FinalState = engine.Keep(g.FinalState),
    };

    public static AugmentedGradient<T> Out<T>(this AugmentedGradient<T> g, IEngine<T> engine) => g with
    {
        AugmentedControlGradients = engine.Out(g.AugmentedControlGradients),
        FirstOrder = g.FirstOrder.Out(engine),
    };
}
