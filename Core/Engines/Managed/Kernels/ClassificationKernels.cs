using System.Numerics;
using System.Numerics.Tensors;

namespace RobustNode.Core.Engines.Managed.Kernels;

/// <summary>
/// Softmax cross-entropy over the rows of logits z [B, m], with labels stored as whole numbers of the element type,
/// computed like libtorch's log_softmax and softmax along the last dimension: the row maximum is subtracted, the
/// exponentials of a block of rows are taken in one vectorised pass, and sums run over each row in column order.
/// </summary>
internal static class ClassificationKernels<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    /// <summary>
    /// For rows [start, end): e[i, ·] = exp(z[i, ·] − maxᵢ), max[i] = maxᵢ, sum[i] = Σⱼ e[i, j].
    /// </summary>
    public static void Exponentials(ReadOnlySpan<TScalar> z, int m, Span<TScalar> e, Span<TScalar> max, Span<TScalar> sum, int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            var row = z.Slice(i * m, m);
            var top = row[0];
            for (int j = 1; j < m; j++)
                if (row[j] > top || TScalar.IsNaN(row[j])) top = row[j];
            max[i] = top;
            var shifted = e.Slice(i * m, m);
            for (int j = 0; j < m; j++) shifted[j] = row[j] - top;
        }
        TensorPrimitives.Exp(e[(start * m)..(end * m)], e[(start * m)..(end * m)]);
        for (int i = start; i < end; i++)
        {
            var row = e.Slice(i * m, m);
            var s = TScalar.Zero;
            for (int j = 0; j < m; j++) s += row[j];
            sum[i] = s;
        }
    }

    /// <summary>ℓᵢ = (maxᵢ + log Σⱼ e^{zᵢⱼ − maxᵢ}) − z_{i,yᵢ} for rows [start, end) (libtorch's logsumexp minus the label's logit).</summary>
    public static void Loss(ReadOnlySpan<TScalar> z, int m, ReadOnlySpan<TScalar> labels, ReadOnlySpan<TScalar> max, ReadOnlySpan<TScalar> sum,
        Span<TScalar> loss, int start, int end)
    {
        TensorPrimitives.Log(sum[start..end], loss[start..end]);
        for (int i = start; i < end; i++)
            loss[i] = max[i] + loss[i] - z[i * m + int.CreateTruncating(labels[i])];
    }

    /// <summary>π[i, ·] = e[i, ·] · (1 / sumᵢ) in place for rows [start, end) (softmax).</summary>
    public static void Normalize(Span<TScalar> e, int m, ReadOnlySpan<TScalar> sum, int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            var row = e.Slice(i * m, m);
            var scale = TScalar.One / sum[i];
            for (int j = 0; j < m; j++) row[j] *= scale;
        }
    }

    /// <summary>π[i, yᵢ] −= 1 for rows [start, end): the gradient softmax(z) − onehot(y).</summary>
    public static void SubtractOneHot(Span<TScalar> pi, int m, ReadOnlySpan<TScalar> labels, int start, int end)
    {
        for (int i = start; i < end; i++) pi[i * m + int.CreateTruncating(labels[i])] -= TScalar.One;
    }

    /// <summary>h[i, ·] = π[i, ·] ⊙ s[i, ·] − π[i, ·] (πᵢᵀ sᵢ) in place of π for rows [start, end): ∇²ℓ s.</summary>
    public static void HessianVectorProduct(Span<TScalar> pi, ReadOnlySpan<TScalar> s, int m, int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            var p = pi.Slice(i * m, m);
            var si = s.Slice(i * m, m);
            var dot = TScalar.Zero;
            for (int j = 0; j < m; j++) dot += p[j] * si[j];
            for (int j = 0; j < m; j++) p[j] = p[j] * si[j] - p[j] * dot;
        }
    }

    /// <summary>The index of the first largest entry of a row, a NaN counting as largest (libtorch's argmax).</summary>
    public static int ArgMax(ReadOnlySpan<TScalar> row)
    {
        int best = 0;
        var top = row[0];
        if (TScalar.IsNaN(top)) return 0;
        for (int j = 1; j < row.Length; j++)
        {
            var v = row[j];
            if (TScalar.IsNaN(v)) return j;
            if (v > top) { top = v; best = j; }
        }
        return best;
    }

    /// <summary>The index of the first entry of largest magnitude, a NaN counting as largest.</summary>
    public static int ArgMaxMagnitude(ReadOnlySpan<TScalar> row)
    {
        int best = 0;
        var top = TScalar.Abs(row[0]);
        if (TScalar.IsNaN(top)) return 0;
        for (int j = 1; j < row.Length; j++)
        {
            var v = TScalar.Abs(row[j]);
            if (TScalar.IsNaN(v)) return j;
            if (v > top) { top = v; best = j; }
        }
        return best;
    }
}
