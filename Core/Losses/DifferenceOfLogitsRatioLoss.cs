using RobustNode.Core.Engines;

namespace RobustNode.Core.Losses;

/// <summary>
/// Croce &amp; Hein's difference of logits ratio (DLR) of class scores z with π the classes sorted by decreasing score:
/// untargeted <c>ℓ = −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3)</c> (at least three classes) and targeted
/// <c>ℓ = −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2)</c> (at least four). It is invariant to shifting and positively
/// scaling the scores, so a network cannot hide from it by inflating its logits, and its gradient does not vanish when
/// the softmax saturates, as cross-entropy's does. The denominators carry the reference implementation's 10⁻¹².
/// </summary>
/// <remarks>
/// Croce &amp; Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse parameter-free attacks",
/// ICML 2020, §4 (the DLR loss and its targeted version). Scores are ranked by a stable descending sort: ties go to the
/// lower class index.
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class DifferenceOfLogitsRatioLoss<T> : IClassificationLoss<T>
{
    /// <summary>The denominator's offset in the reference implementation.</summary>
    public const double Offset = 1e-12;

    private readonly int[] _labels;
    private readonly int[]? _targets;

    /// <param name="engine">The engine.</param>
    /// <param name="labels">Class labels [B] in the engine's label form.</param>
    /// <param name="targets">Target classes, one per sample, each different from its label; null for the untargeted DLR.</param>
    public DifferenceOfLogitsRatioLoss(IEngine<T> engine, T labels, int[]? targets = null)
    {
        (Engine, Labels, _targets) = (engine, labels, targets);
        _labels = ScoreRatio.Classes(engine, labels, "labels");
        if (targets is not null && targets.Length != _labels.Length)
            throw new ArgumentException($"{targets.Length} targets for {_labels.Length} labels");
    }

    /// <summary>The fewest classes the loss is defined for: three untargeted (π3), four targeted (π4).</summary>
    public static int MinimumClasses(bool targeted) => targeted ? 4 : 3;

    /// <inheritdoc/>
    public IEngine<T> Engine { get; }
    /// <inheritdoc/>
    public T Labels { get; }
    /// <summary>The target classes, or null for the untargeted DLR.</summary>
    public IReadOnlyList<int>? Targets => _targets;
    /// <inheritdoc/>
    public bool ScoresAreFinalStates => true;
    /// <inheritdoc/>
    public string Name => _targets is null ? "dlr" : "targeted-dlr";
    /// <inheritdoc/>
    public long Count => _labels.Length;

    private static readonly ScoreRatio.Forms Untargeted = (z, label, _, a, b) =>
    {
        if (z.Length < 3) throw new ArgumentException($"the DLR loss needs at least three classes, got {z.Length}");
        Span<int> pi = stackalloc int[3];
        ScoreRatio.Largest(z, pi, 3);
        a[label] += 1;
        a[ScoreRatio.BestOther(z, label)] -= 1;
        b[pi[0]] += 1;
        b[pi[2]] -= 1;
        return Offset;
    };

    private static readonly ScoreRatio.Forms Targeted = (z, label, target, a, b) =>
    {
        if (z.Length < 4) throw new ArgumentException($"the targeted DLR loss needs at least four classes, got {z.Length}");
        Span<int> pi = stackalloc int[4];
        ScoreRatio.Largest(z, pi, 4);
        a[label] += 1;
        a[target] -= 1;
        b[pi[0]] += 1;
        b[pi[2]] -= 0.5;
        b[pi[3]] -= 0.5;
        return Offset;
    };

    private ScoreRatio.Forms Forms => _targets is null ? Untargeted : Targeted;

    /// <inheritdoc/>
    public T PerSample(T x) => ScoreRatio.Values(Engine, x, _labels, _targets, Forms);
    /// <inheritdoc/>
    public T Gradient(T x) => ScoreRatio.Gradient(Engine, x, _labels, _targets, Forms);
    /// <inheritdoc/>
    public T HessianVectorProduct(T x, T s) => ScoreRatio.HessianVectorProduct(Engine, x, s, _labels, _targets, Forms);

    /// <inheritdoc/>
    public ILoss<T> Select(ReadOnlySpan<long> rows)
    {
        return new DifferenceOfLogitsRatioLoss<T>(Engine, Engine.GatherRows(Labels, rows), ScoreRatio.SelectTargets(_targets, rows));
    }
}
