using RobustNode.Core.Engines;

namespace RobustNode.Core.Losses;

/// <summary>
/// GloRo's loss: the cross-entropy over the C logits and a bottom class ⊥ whose logit is the largest wrong logit raised
/// by its margin, at a temperature τ,
/// ℓ(z) = −τ z_y + log(Σ_j e^{τ z_j} + e^{τ z_⊥}),   z_⊥ = max_{j≠y} (z_j + m_j),
/// with m [B, C] held fixed (m_j = ε K_yj: what a perturbation of size ε could add to z_j − z_y). A sample whose z_y
/// beats z_⊥ is certified at ε; ⊥ takes the probability mass of every uncertified prediction.
/// </summary>
/// <remarks>
/// <para>Leino, Wang &amp; Fredrikson, "Globally-Robust Neural Networks", ICML 2021, §3 (eq. 3–4). With P the softmax of
/// τ[z, z_⊥] and j* the wrong class attaining the maximum (the first, on ties), ∂ℓ/∂z_j = τ(P_j − δ_jy + P_⊥ δ_jj*) and
/// ∂ℓ/∂m_j = τ P_⊥ δ_jj*. With S the map z ↦ [z, z_j*] the Hessian is Sᵀ τ²(diag P − PPᵀ) S wherever j* is unique (the
/// maximum is piecewise linear). Computed row by row in managed arrays: a batch of C logits is small.</para>
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class BottomClassLoss<T> : ILoss<T>
{
    private readonly long[] _labels;
    private readonly double[] _offsets;
    private readonly int _classes;

    /// <summary>The loss of the given labels, margins m [B, C] (row-major; the label's entry is ignored) and temperature τ.</summary>
    public BottomClassLoss(IEngine<T> engine, long[] labels, double[] offsets, int classes, double temperature)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "a bottom class needs at least two classes");
        if (offsets.Length != labels.Length * classes)
            throw new ArgumentException($"margins: expected {labels.Length}×{classes} values, got {offsets.Length}", nameof(offsets));
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be finite and positive");
        foreach (var label in labels)
            if (label < 0 || label >= classes) throw new ArgumentOutOfRangeException(nameof(labels), label, $"a label must lie in [0, {classes})");
        (Engine, _labels, _offsets, _classes, Temperature) = (engine, labels, offsets, classes, temperature);
    }

    /// <inheritdoc/>
    public IEngine<T> Engine { get; }

    /// <summary>τ.</summary>
    public double Temperature { get; }

    /// <inheritdoc/>
    public string Name => FormattableString.Invariant($"cross-entropy with a bottom class (temperature {Temperature:R})");

    /// <inheritdoc/>
    public long Count => _labels.Length;

    /// <inheritdoc/>
    public T PerSample(T x) => Rows(x, (_, _, _, loss, output) => output[0] = loss, 1, [_labels.Length]);

    /// <inheritdoc/>
    public T Gradient(T x) => Rows(x, (row, probabilities, bottom, _, output) =>
    {
        for (int j = 0; j < _classes; j++) output[j] = Temperature * (probabilities[j] - (j == _labels[row] ? 1 : 0));
        output[bottom] += Temperature * probabilities[_classes];
    }, _classes, [_labels.Length, _classes]);

    /// <inheritdoc/>
    public T HessianVectorProduct(T x, T s)
    {
        var direction = Engine.ToArray(s);
        return Rows(x, (row, probabilities, bottom, _, output) =>
        {
            // v = S s, w = τ²(P ⊙ v − P (Pᵀv)), Sᵀw.
            var v = direction.AsSpan(row * _classes, _classes);
            double pv = probabilities[_classes] * v[bottom];
            for (int j = 0; j < _classes; j++) pv += probabilities[j] * v[j];
            double t2 = Temperature * Temperature;
            for (int j = 0; j < _classes; j++) output[j] = t2 * probabilities[j] * (v[j] - pv);
            output[bottom] += t2 * probabilities[_classes] * (v[bottom] - pv);
        }, _classes, [_labels.Length, _classes]);
    }

    /// <summary>∂ℓᵢ/∂m_ij at the logits x, shape [B, C] row-major: τ P_⊥ at the class that raised ⊥, 0 elsewhere.</summary>
    public double[] OffsetGradient(T x)
    {
        var z = Engine.ToArray(x);
        var result = new double[z.Length];
        var probabilities = new double[_classes + 1];
        for (int i = 0; i < _labels.Length; i++)
        {
            int bottom = Softmax(z.AsSpan(i * _classes, _classes), i, probabilities, out _);
            result[i * _classes + bottom] = Temperature * probabilities[_classes];
        }
        return result;
    }

    /// <inheritdoc/>
    public ILoss<T> Select(ReadOnlySpan<long> rows)
    {
        var labels = new long[rows.Length];
        var offsets = new double[rows.Length * _classes];
        for (int r = 0; r < rows.Length; r++)
        {
            labels[r] = _labels[rows[r]];
            _offsets.AsSpan((int)rows[r] * _classes, _classes).CopyTo(offsets.AsSpan(r * _classes));
        }
        return new BottomClassLoss<T>(Engine, labels, offsets, _classes, Temperature);
    }

    private delegate void RowRule(int row, double[] probabilities, int bottom, double loss, Span<double> output);

    // Each row's softmax over τ[z, z_⊥], handed to the rule with the raising class j* and the row's loss.
    private T Rows(T x, RowRule rule, int width, long[] shape)
    {
        var z = Engine.ToArray(x);
        if (z.Length != _labels.Length * _classes)
            throw new ArgumentException($"logits: expected {_labels.Length}×{_classes} values, got {z.Length}", nameof(x));
        var output = new double[_labels.Length * width];
        var probabilities = new double[_classes + 1];
        for (int i = 0; i < _labels.Length; i++)
        {
            int bottom = Softmax(z.AsSpan(i * _classes, _classes), i, probabilities, out double loss);
            rule(i, probabilities, bottom, loss, output.AsSpan(i * width, width));
        }
        return Engine.FromValues(output, x, shape);
    }

    // P = softmax(τ[z, z_⊥]) into probabilities; returns j*, and the loss −τ z_y + log Σ e^{τ z̄}.
    private int Softmax(ReadOnlySpan<double> z, int row, double[] probabilities, out double loss)
    {
        int label = (int)_labels[row];
        int bottom = BottomLogit.Softmax(z, _offsets.AsSpan(row * _classes, _classes), label, Temperature, probabilities, out double top, out double sum);
        loss = Temperature * (top - z[label]) + Math.Log(sum);
        return bottom;
    }
}
