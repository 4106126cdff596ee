using RobustNode.Core.Engines;

namespace RobustNode.Core.Losses;

/// <summary>
/// GloRo's TRADES loss: the cross-entropy of the C logits plus λ times the divergence of the bottom-class softmax from
/// the clean one, at a temperature τ,
/// ℓ(z) = CE(τz, y) + λ KL([softmax(τz), 0] ‖ softmax(τ[z, z_⊥])) = CE(τz, y) + λ log(1 + e^{τ z_⊥ − LSE(τz)}),
/// z_⊥ = max_{j≠ŷ} (z_j + M_ŷj), ŷ = argmax z,
/// with M [C, C] held fixed (M_aj = ε K_aj: what a perturbation of size ε could add to z_j − z_a). The first term asks
/// for the right class, the second for a certified prediction whether or not it is right.
/// </summary>
/// <remarks>
/// <para>Leino, Wang &amp; Fredrikson, "Globally-Robust Neural Networks", ICML 2021, §3, with the TRADES loss of their
/// library (<c>trades_kl</c>; Zhang et al. 2019). ⊥ is raised against the predicted class, as in GloRo's certificate,
/// not the label. The divergence reduces to a softplus because [softmax(τz), 0] and softmax(τ[z, z_⊥]) differ on the first C
/// classes by the one factor 1 − P_⊥: KL = −log(1 − P_⊥).</para>
/// <para>With Q = softmax(τz), P = softmax(τ[z, z_⊥]) and j* the class that raised ⊥ (ŷ and j* are piecewise constant in
/// z): ∂ℓ/∂z = τ(Q − e_y) + λτ(P_{1..C} + P_⊥ e_j* − Q); ∂ℓ/∂M_ŷj* = λτ P_⊥; and wherever ŷ and j* are unique, with S the
/// map z ↦ [z, z_j*], ∇²ℓ = (1 − λ) τ²(diag Q − QQᵀ) + λ Sᵀ τ²(diag P − PPᵀ) S.</para>
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class BottomClassTradesLoss<T> : ILoss<T>
{
    private readonly long[] _labels;
    private readonly double[] _margins;
    private readonly int _classes;

    /// <summary>The loss of the given labels, class-pair margins M [C, C] (row-major, row a: ⊥ raised against class a; the diagonal is ignored), temperature τ and weight λ.</summary>
    public BottomClassTradesLoss(IEngine<T> engine, long[] labels, double[] margins, int classes, double temperature, double weight)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "a bottom class needs at least two classes");
        if (margins.Length != classes * classes)
            throw new ArgumentException($"margins: expected {classes}×{classes} values (one row per predicted class), got {margins.Length}", nameof(margins));
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be finite and positive");
        if (!(weight >= 0) || !double.IsFinite(weight))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "the TRADES weight must be finite and non-negative");
        foreach (var label in labels)
            if (label < 0 || label >= classes) throw new ArgumentOutOfRangeException(nameof(labels), label, $"a label must lie in [0, {classes})");
        (Engine, _labels, _margins, _classes, Temperature, Weight) = (engine, labels, margins, classes, temperature, weight);
    }

    /// <inheritdoc/>
    public IEngine<T> Engine { get; }

    /// <summary>τ.</summary>
    public double Temperature { get; }

    /// <summary>λ, the weight of the divergence.</summary>
    public double Weight { get; }

    /// <inheritdoc/>
    public string Name => FormattableString.Invariant($"TRADES loss with a bottom class (weight {Weight:R}, temperature {Temperature:R})");

    /// <inheritdoc/>
    public long Count => _labels.Length;

    /// <inheritdoc/>
    public T PerSample(T x) => Rows(x, (_, _, _, _, loss, output) => output[0] = loss, 1, [_labels.Length]);

    /// <inheritdoc/>
    public T Gradient(T x) => Rows(x, (row, clean, bottomed, raising, _, output) =>
    {
        double t = Temperature, l = Weight;
        for (int j = 0; j < _classes; j++)
            output[j] = t * (clean[j] - (j == _labels[row] ? 1 : 0)) + l * t * (bottomed[j] - clean[j]);
        output[raising] += l * t * bottomed[_classes];
    }, _classes, [_labels.Length, _classes]);

    /// <inheritdoc/>
    public T HessianVectorProduct(T x, T s)
    {
        var direction = Engine.ToArray(s);
        return Rows(x, (row, clean, bottomed, raising, _, output) =>
        {
            // (1 − λ) τ²(Q ⊙ s − Q (Qᵀs)) + λ Sᵀ τ²(P ⊙ v − P (Pᵀv)), v = S s.
            var v = direction.AsSpan(row * _classes, _classes);
            double qs = 0, pv = bottomed[_classes] * v[raising];
            for (int j = 0; j < _classes; j++) (qs, pv) = (qs + clean[j] * v[j], pv + bottomed[j] * v[j]);
            double t2 = Temperature * Temperature, l = Weight;
            for (int j = 0; j < _classes; j++) output[j] = (1 - l) * t2 * clean[j] * (v[j] - qs) + l * t2 * bottomed[j] * (v[j] - pv);
            output[raising] += l * t2 * bottomed[_classes] * (v[raising] - pv);
        }, _classes, [_labels.Length, _classes]);
    }

    /// <summary>
    /// ∂ℓᵢ/∂M at the logits x, as the rows [B, C] of ∂ℓᵢ/∂M_{ŷᵢ j} (λτ P_⊥ at the class that raised ⊥, 0 elsewhere) and the
    /// predicted classes ŷᵢ those rows belong to.
    /// </summary>
    public (double[] Rows, int[] Predictions) MarginGradient(T x)
    {
        var z = Engine.ToArray(x);
        var rows = new double[z.Length];
        var predictions = new int[_labels.Length];
        var clean = new double[_classes];
        var bottomed = new double[_classes + 1];
        for (int i = 0; i < _labels.Length; i++)
        {
            int raising = Row(z.AsSpan(i * _classes, _classes), i, clean, bottomed, out predictions[i], out _);
            rows[i * _classes + raising] = Weight * Temperature * bottomed[_classes];
        }
        return (rows, predictions);
    }

    /// <inheritdoc/>
    public ILoss<T> Select(ReadOnlySpan<long> rows)
    {
        var labels = new long[rows.Length];
        for (int r = 0; r < rows.Length; r++) labels[r] = _labels[rows[r]];
        return new BottomClassTradesLoss<T>(Engine, labels, _margins, _classes, Temperature, Weight);
    }

    private delegate void RowRule(int row, double[] clean, double[] bottomed, int raising, double loss, Span<double> output);

    private T Rows(T x, RowRule rule, int width, long[] shape)
    {
        var z = Engine.ToArray(x);
        if (z.Length != _labels.Length * _classes)
            throw new ArgumentException($"logits: expected {_labels.Length}×{_classes} values, got {z.Length}", nameof(x));
        var output = new double[_labels.Length * width];
        var clean = new double[_classes];
        var bottomed = new double[_classes + 1];
        for (int i = 0; i < _labels.Length; i++)
        {
            int raising = Row(z.AsSpan(i * _classes, _classes), i, clean, bottomed, out _, out double loss);
            rule(i, clean, bottomed, raising, loss, output.AsSpan(i * width, width));
        }
        return Engine.FromValues(output, x, shape);
    }

    // Q = softmax(τz) into clean, P = softmax(τ[z, z_⊥]) into bottomed; returns j*, with ŷ and the row's loss.
    private int Row(ReadOnlySpan<double> z, int row, double[] clean, double[] bottomed, out int prediction, out double loss)
    {
        prediction = 0;
        for (int j = 1; j < _classes; j++) if (z[j] > z[prediction]) prediction = j;
        double top = z[prediction], sum = 0;
        for (int j = 0; j < _classes; j++) sum += clean[j] = Math.Exp(Temperature * (z[j] - top));
        for (int j = 0; j < _classes; j++) clean[j] /= sum;
        double logSumExp = Temperature * top + Math.Log(sum);
        int raising = BottomLogit.Softmax(z, _margins.AsSpan(prediction * _classes, _classes), prediction, Temperature, bottomed, out _, out _);
        // log(1 + e^d), d = τ z_⊥ − LSE(τz): d + log1p(e^{−d}) above 0, so that e^{±d} never overflows.
        double d = Temperature * (z[raising] + _margins[prediction * _classes + raising]) - logSumExp;
        double divergence = d > 0 ? d + Log1p(Math.Exp(-d)) : Log1p(Math.Exp(d));
        loss = logSumExp - Temperature * z[(int)_labels[row]] + Weight * divergence;
        return raising;
    }

    // log(1 + e) accurate for small e: log(u)·e/(u − 1), u = 1 + e (Goldberg 1991, Theorem 4).
    private static double Log1p(double e)
    {
        double u = 1 + e;
        return u == 1 ? e : Math.Log(u) * e / (u - 1);
    }
}
