using RobustNode.Core.Engines;

namespace RobustNode.Core.Losses;

/// <summary>
/// The margin loss of class scores z (Carlini &amp; Wagner's f₆ without its confidence clamp): untargeted
/// ℓ = max_{j≠y} z_j − z_y, positive exactly when the sample is misclassified; targeted ℓ = z_t − z_y, positive when the
/// target outscores the label. Its gradient e_o − e_y does not fade as the softmax saturates, unlike cross-entropy's. It is
/// what the Square attack minimises (as the margin z_y − max_{j≠y} z_j = −ℓ) and what APGD with targets maximises when the
/// difference of logits ratio is not defined (fewer than four classes).
/// </summary>
/// <remarks>
/// Carlini &amp; Wagner, "Towards evaluating the robustness of neural networks", IEEE S&amp;P 2017;
/// Andriushchenko, Croce, Flammarion &amp; Hein, "Square Attack", ECCV 2020 (the margin loss of the untargeted attack).
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class MarginLoss<T> : IClassificationLoss<T>
{
    private readonly int[] _labels;
    private readonly int[]? _targets;

    /// <param name="engine">The engine.</param>
    /// <param name="labels">Class labels [B] in the engine's label form.</param>
    /// <param name="targets">Target classes, one per sample, each different from its label; null for the untargeted margin.</param>
    public MarginLoss(IEngine<T> engine, T labels, int[]? targets = null)
    {
        (Engine, Labels, _targets) = (engine, labels, targets);
        _labels = ScoreRatio.Classes(engine, labels, "labels");
        if (targets is not null && targets.Length != _labels.Length)
            throw new ArgumentException($"{targets.Length} targets for {_labels.Length} labels");
    }

    /// <inheritdoc/>
    public IEngine<T> Engine { get; }
    /// <inheritdoc/>
    public T Labels { get; }
    /// <summary>The target classes, or null for the untargeted margin.</summary>
    public IReadOnlyList<int>? Targets => _targets;
    /// <inheritdoc/>
    public bool ScoresAreFinalStates => true;
    /// <inheritdoc/>
    public string Name => _targets is null ? "margin" : "targeted-margin";
    /// <inheritdoc/>
    public long Count => _labels.Length;

    private static readonly ScoreRatio.Forms Forms = (z, label, target, a, b) =>
    {
        int other = target >= 0 ? target : ScoreRatio.BestOther(z, label);
        a[label] += 1;
        a[other] -= 1;
        return 1;
    };

    /// <inheritdoc/>
    public T PerSample(T x) => ScoreRatio.Values(Engine, x, _labels, _targets, Forms);
    /// <inheritdoc/>
    public T Gradient(T x) => ScoreRatio.Gradient(Engine, x, _labels, _targets, Forms);
    /// <inheritdoc/>
    public T HessianVectorProduct(T x, T s) => ScoreRatio.HessianVectorProduct(Engine, x, s, _labels, _targets, Forms);

    /// <inheritdoc/>
    public ILoss<T> Select(ReadOnlySpan<long> rows)
    {
        return new MarginLoss<T>(Engine, Engine.GatherRows(Labels, rows), ScoreRatio.SelectTargets(_targets, rows));
    }
}
