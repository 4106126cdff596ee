namespace RobustNode.Core.Engines;

/// <summary>
/// Lifts an engine to tuples of states (componentwise), e.g. the augmented adjoint state
/// (x, p, ∫g_uᵀp) — each part keeps its own shape, nothing is flattened.
/// </summary>
/// <remarks>An instance keeps a scratch buffer for the parts of one component: use one per solve, not across threads.</remarks>
internal sealed class TupleAlgebra<T>(IStateAlgebra<T> inner) : IStateAlgebra<T[]>
{
    private T[] _parts = [];

    private Span<T> Parts(int count)
    {
        if (_parts.Length < count) _parts = new T[count];
        return _parts.AsSpan(0, count);
    }

    /// <inheritdoc/>
    public T[] AddScaled(T[] y, ReadOnlySpan<double> weights, ReadOnlySpan<T[]> terms)
    {
        var result = new T[y.Length];
        var parts = Parts(terms.Length);
        for (int c = 0; c < y.Length; c++)
        {
            for (int i = 0; i < terms.Length; i++) parts[i] = terms[i][c];
            result[c] = inner.AddScaled(y[c], weights, parts);
        }
        parts.Clear();
        return result;
    }

    /// <inheritdoc/>
    public T[] LinearCombination(ReadOnlySpan<double> weights, ReadOnlySpan<T[]> terms)
    {
        var result = new T[terms[0].Length];
        var parts = Parts(terms.Length);
        for (int c = 0; c < result.Length; c++)
        {
            for (int i = 0; i < terms.Length; i++) parts[i] = terms[i][c];
            result[c] = inner.LinearCombination(weights, parts);
        }
        parts.Clear();
        return result;
    }

    /// <inheritdoc/>
    public (double SumOfSquares, long Count) ScaledSquares(T[] v, T[] ya, T[] yb, double rtol, double atol)
    {
        double sum = 0; long count = 0;
        for (int c = 0; c < v.Length; c++)
        {
            var (s, n) = inner.ScaledSquares(v[c], ya[c], yb[c], rtol, atol);
            sum += s; count += n;
        }
        return (sum, count);
    }

    /// <inheritdoc/>
    public bool IsFinite(T[] y)
    {
        foreach (var part in y)
            if (!inner.IsFinite(part)) return false;
        return true;
    }

    /// <inheritdoc/>
    public IDisposable OpenScope() => inner.OpenScope();

    /// <inheritdoc/>
    public T[] Keep(T[] y)
    {
        var kept = new T[y.Length];
        for (int c = 0; c < y.Length; c++) kept[c] = inner.Keep(y[c]);
        return kept;
    }

    /// <inheritdoc/>
    public void Release(T[] y) { foreach (var part in y) inner.Release(part); }
}
