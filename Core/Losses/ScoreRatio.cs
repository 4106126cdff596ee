using RobustNode.Core.Engines;

namespace RobustNode.Core.Losses;

/// <summary>
/// Losses of the form ℓ = −(aᵀz)/(bᵀz + c) of one row z of class scores, where a, b and c are chosen per row from the
/// label, an optional target and the order of the scores (and are locally constant, so the derivatives below are exact
/// away from ties): the Carlini–Wagner margin (b = 0, c = 1) and Croce &amp; Hein's difference of logits ratio. They are
/// evaluated on host copies of the scores [B, m] — a few numbers per sample, sorted per row — and handed back to the
/// engine by <see cref="IEngine{T}.FromValues"/>, so every engine computes them with the same code and the same numbers.
/// </summary>
/// <remarks>
/// ∇ℓ = −a/D + N b/D² and ∇²ℓ·s = (a (bᵀs) + b (aᵀs))/D² − 2N b (bᵀs)/D³ with N = aᵀz, D = bᵀz + c.
/// </remarks>
internal static class ScoreRatio
{
    /// <summary>Fills a (numerator) and b (denominator) of one row, both zeroed beforehand, and returns c.</summary>
    public delegate double Forms(ReadOnlySpan<double> z, int label, int target, Span<double> a, Span<double> b);

    /// <summary>Per-sample losses [B] of the scores x [B, m].</summary>
    public static T Values<T>(IEngine<T> engine, T x, int[] labels, int[]? targets, Forms forms)
    {
        var (z, rows, m) = Scores(engine, x, labels, targets);
        var values = new double[rows];
        var a = new double[m];
        var b = new double[m];
        for (int i = 0; i < rows; i++)
        {
            var row = z.AsSpan(i * m, m);
            var (n, d) = Row(row, labels[i], targets?[i] ?? -1, a, b, forms);
            values[i] = -n / d;
        }
        return engine.FromValues(values, x, rows);
    }

    /// <summary>∇ₓ Σᵢ ℓᵢ [B, m].</summary>
    public static T Gradient<T>(IEngine<T> engine, T x, int[] labels, int[]? targets, Forms forms)
    {
        var (z, rows, m) = Scores(engine, x, labels, targets);
        var gradient = new double[rows * m];
        var a = new double[m];
        var b = new double[m];
        for (int i = 0; i < rows; i++)
        {
            var (n, d) = Row(z.AsSpan(i * m, m), labels[i], targets?[i] ?? -1, a, b, forms);
            var g = gradient.AsSpan(i * m, m);
            for (int j = 0; j < m; j++) g[j] = -a[j] / d + n * b[j] / (d * d);
        }
        return engine.FromValues(gradient, x, rows, m);
    }

    /// <summary>∇²ₓ Σᵢ ℓᵢ · s [B, m], row by row.</summary>
    public static T HessianVectorProduct<T>(IEngine<T> engine, T x, T s, int[] labels, int[]? targets, Forms forms)
    {
        var (z, rows, m) = Scores(engine, x, labels, targets);
        var direction = engine.ToArray(s);
        if (direction.Length != z.Length)
            throw new ArgumentException($"HessianVectorProduct: the direction has {direction.Length} values, the scores {z.Length}");
        var product = new double[rows * m];
        var a = new double[m];
        var b = new double[m];
        for (int i = 0; i < rows; i++)
        {
            var (n, d) = Row(z.AsSpan(i * m, m), labels[i], targets?[i] ?? -1, a, b, forms);
            var si = direction.AsSpan(i * m, m);
            double aS = 0, bS = 0;
            for (int j = 0; j < m; j++) (aS, bS) = (aS + a[j] * si[j], bS + b[j] * si[j]);
            var h = product.AsSpan(i * m, m);
            for (int j = 0; j < m; j++) h[j] = (a[j] * bS + b[j] * aS) / (d * d) - 2 * n * b[j] * bS / (d * d * d);
        }
        return engine.FromValues(product, x, rows, m);
    }

    private static (double N, double D) Row(ReadOnlySpan<double> z, int label, int target, double[] a, double[] b, Forms forms)
    {
        Array.Clear(a);
        Array.Clear(b);
        double c = forms(z, label, target, a, b);
        double n = 0, d = c;
        for (int j = 0; j < z.Length; j++) (n, d) = (n + a[j] * z[j], d + b[j] * z[j]);
        return (n, d);
    }

    private static (double[] Z, int Rows, int M) Scores<T>(IEngine<T> engine, T x, int[] labels, int[]? targets)
    {
        var shape = engine.Shape(x);
        if (shape.Length != 2) throw new ArgumentException($"class scores must be [B, m], got [{string.Join(", ", shape)}]");
        if (shape[0] != labels.Length || (targets is not null && targets.Length != labels.Length))
            throw new ArgumentException($"{shape[0]} rows of scores for {labels.Length} labels and {targets?.Length ?? labels.Length} targets");
        int m = (int)shape[1];
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= m || (targets is not null && (targets[i] >= m || targets[i] < 0 || targets[i] == labels[i])))
                throw new ArgumentException($"row {i}: label {labels[i]}{(targets is null ? "" : $" and target {targets[i]}")} do not fit {m} classes (a target differs from the label)");
        return (engine.ToArray(x), (int)shape[0], m);
    }

    /// <summary>
    /// The indices of the <paramref name="count"/> largest entries of z in descending order, ties broken towards the lower
    /// index (a stable descending sort), written to <paramref name="order"/>.
    /// </summary>
    public static void Largest(ReadOnlySpan<double> z, Span<int> order, int count)
    {
        for (int k = 0; k < count; k++)
        {
            int best = -1;
            for (int j = 0; j < z.Length; j++)
            {
                bool taken = false;
                for (int l = 0; l < k; l++) taken |= order[l] == j;
                if (!taken && (best < 0 || z[j] > z[best])) best = j;
            }
            order[k] = best;
        }
    }

    /// <summary>The index of the largest score other than the label's (ties: the lower index).</summary>
    public static int BestOther(ReadOnlySpan<double> z, int label)
    {
        int best = -1;
        for (int j = 0; j < z.Length; j++)
            if (j != label && (best < 0 || z[j] > z[best])) best = j;
        return best;
    }

    /// <summary>The targets of the selected rows, or null for an untargeted loss.</summary>
    public static int[]? SelectTargets(int[]? targets, ReadOnlySpan<long> rows)
    {
        if (targets is null) return null;
        var selected = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++) selected[i] = targets[rows[i]];
        return selected;
    }

    /// <summary>Labels (or targets) of the engine as class indices, checked against the number of classes.</summary>
    public static int[] Classes<T>(IEngine<T> engine, T labels, string what)
    {
        var values = engine.ToArray(labels);
        var classes = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < 0 || values[i] != Math.Floor(values[i]) || values[i] > int.MaxValue)
                throw new ArgumentException($"{what}[{i}] = {values[i]} is not a class index");
            classes[i] = (int)values[i];
        }
        return classes;
    }
}
