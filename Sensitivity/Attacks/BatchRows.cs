using RobustNode.Core.Engines;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// Rows of a batch that an attack works on: attacks that stop at a misclassification run only on the samples still
/// classified correctly, and write their results back.
/// </summary>
internal static class BatchRows
{
    /// <summary>The indices where <paramref name="selected"/> is true.</summary>
    public static long[] Where(ReadOnlySpan<bool> selected)
    {
        var rows = new List<long>();
        for (int i = 0; i < selected.Length; i++) if (selected[i]) rows.Add(i);
        return [.. rows];
    }

    /// <summary>
    /// <paramref name="full"/> [B, …] with its rows <paramref name="rows"/> replaced by the rows of <paramref name="part"/>
    /// [rows, …] (a new value): a gather from the two stacked, so no scatter kernel is needed.
    /// </summary>
    public static T Scatter<T>(IEngine<T> engine, T full, ReadOnlySpan<long> rows, T part)
    {
        long batch = engine.BatchSize(full);
        var source = new long[batch];
        for (long i = 0; i < batch; i++) source[i] = rows.Length + i;
        for (int j = 0; j < rows.Length; j++) source[rows[j]] = j;
        using var scope = engine.OpenScope();
        return engine.Keep(engine.GatherRows(engine.Concat([part, full]), source));
    }

    /// <summary>A per-sample mask [n] of the engine, 1 where <paramref name="selected"/> is true, in the element type of <paramref name="like"/>.</summary>
    public static T Mask<T>(IEngine<T> engine, ReadOnlySpan<bool> selected, T like)
    {
        var values = new double[selected.Length];
        for (int i = 0; i < values.Length; i++) values[i] = selected[i] ? 1 : 0;
        return engine.FromValues(values, like, values.Length);
    }

    /// <summary>The class indices of the engine's labels (or predictions) [n].</summary>
    public static int[] Classes<T>(IEngine<T> engine, T labels) => engine.ToArray(labels).Select(v => (int)v).ToArray();
}
