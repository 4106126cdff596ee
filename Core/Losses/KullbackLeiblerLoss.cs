using RobustNode.Core.Engines;

namespace RobustNode.Core.Losses;

/// <summary>
/// The Kullback–Leibler divergence KL(softmax(z) ‖ softmax(w)) = Σⱼ πⱼ (log πⱼ − log qⱼ) between the class distributions
/// of two logit batches z and w [B, m], per sample, as a loss of w with the target logits z held fixed (TRADES' attack
/// maximises it over the adversarial input). ∇_w = q − π; ∇²_w · s = q ⊙ s − q (qᵀs), the cross-entropy's Hessian at w.
/// </summary>
/// <remarks>
/// Written with the engines' cross-entropy kernels, which need no logarithm of a probability: for any labels y,
/// KL(π ‖ q) = ⟨π − e_y, z − w⟩ + CE(w, y) − CE(z, y), since CE(z, y) = log Σⱼ e^{zⱼ} − z_y; and ∇_z KL = ∇²_z CE · (z − w),
/// because (diag π − ππᵀ) annihilates the constant log Σ e^{zⱼ} − log Σ e^{wⱼ} in log π − log q = z − w − const.
/// Zhang, Yu, Jiao, Xing, El Ghaoui &amp; Jordan, "Theoretically principled trade-off between robustness and accuracy", ICML 2019.
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class KullbackLeiblerLoss<T> : ILoss<T>
{
    /// <param name="engine">The engine.</param>
    /// <param name="target">The logits z [B, m] of the target distribution π = softmax(z), held fixed.</param>
    public KullbackLeiblerLoss(IEngine<T> engine, T target) => (Engine, Target) = (engine, target);

    /// <inheritdoc/>
    public IEngine<T> Engine { get; }

    /// <summary>The target logits z [B, m].</summary>
    public T Target { get; }

    /// <inheritdoc/>
    public string Name => "kl-divergence";

    /// <inheritdoc/>
    public long Count => Engine.BatchSize(Target);

    /// <inheritdoc/>
    public T PerSample(T x) => KullbackLeibler.Divergence(Engine, Target, x);

    /// <inheritdoc/>
    public T Gradient(T x) => KullbackLeibler.SecondGradient(Engine, Target, x);

    /// <inheritdoc/>
    public T HessianVectorProduct(T x, T s) => Engine.CrossEntropyHessianVectorProduct(x, s);

    /// <inheritdoc/>
    public ILoss<T> Select(ReadOnlySpan<long> rows) => new KullbackLeiblerLoss<T>(Engine, Engine.GatherRows(Target, rows));
}

/// <summary>The divergence KL(softmax(z) ‖ softmax(w)) per sample and its gradients with respect to both logit batches.</summary>
internal static class KullbackLeibler
{
    /// <summary>KL(softmax(zᵢ) ‖ softmax(wᵢ)) per sample, [B].</summary>
    public static T Divergence<T>(IEngine<T> engine, T z, T w)
    {
        using var scope = engine.OpenScope();
        var labels = engine.ArgMax(z);
        var linear = engine.SumPerSample(engine.Multiply(engine.CrossEntropyGradient(z, labels), engine.Add(z, w, -1)));
        return engine.Keep(engine.Add(linear, engine.Add(engine.CrossEntropy(w, labels), engine.CrossEntropy(z, labels), -1)));
    }

    /// <summary>∇_z Σᵢ KL(softmax(zᵢ) ‖ softmax(wᵢ)) = π ⊙ d − π (πᵀd) with d = z − w, row by row [B, m].</summary>
    public static T FirstGradient<T>(IEngine<T> engine, T z, T w)
    {
        using var scope = engine.OpenScope();
        return engine.Keep(engine.CrossEntropyHessianVectorProduct(z, engine.Add(z, w, -1)));
    }

    /// <summary>∇_w Σᵢ KL(softmax(zᵢ) ‖ softmax(wᵢ)) = softmax(w) − softmax(z) [B, m].</summary>
    public static T SecondGradient<T>(IEngine<T> engine, T z, T w)
    {
        using var scope = engine.OpenScope();
        return engine.Keep(engine.Add(engine.Softmax(w), engine.Softmax(z), -1));
    }
}
