using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Core.Losses;

/// <summary>
/// Cross-entropy ℓ = −z_y + log Σⱼ e^{zⱼ} of logits z = x (or z = R x with a fixed read-out R [m, d]).
/// ∇_z ℓ = softmax(z) − e_y; ∇²_z ℓ · s = π ⊙ s − π (πᵀs) with π = softmax(z); through R by the chain rule.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class CrossEntropyLoss<T> : ILoss<T>
{
    /// <param name="engine">The engine.</param>
    /// <param name="labels">Class labels [B] in the engine's label form (<see cref="IEngine{T}"/>).</param>
    /// <param name="readout">Optional fixed read-out R [m, d].</param>
    public CrossEntropyLoss(IEngine<T> engine, T labels, T? readout = default) => (Engine, Labels, Readout) = (engine, labels, readout);

    /// <inheritdoc/>
    public IEngine<T> Engine { get; }
    /// <summary>Class labels [B].</summary>
    public T Labels { get; }
    /// <summary>Optional fixed read-out R [m, d].</summary>
    public T? Readout { get; }
    /// <inheritdoc/>
    public string Name => "cross-entropy";
    /// <inheritdoc/>
    public long Count => Engine.BatchSize(Labels);

    // Absent is null on TorchSharp and default on the managed engine, whose values are structs.
    private bool HasReadout => !ValueIdentity<T>.IsAbsent(Readout);
    private T Logits(T x) => HasReadout ? Engine.Linear(x, Readout!, default) : x;
    private T Back(T g) => HasReadout ? Engine.MatMul(g, Readout!) : g;

    /// <inheritdoc/>
    public T PerSample(T x)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Engine.CrossEntropy(Logits(x), Labels));
    }

    /// <inheritdoc/>
    public T Gradient(T x)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Back(Engine.CrossEntropyGradient(Logits(x), Labels)));
    }

    /// <inheritdoc/>
    public T HessianVectorProduct(T x, T s)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Back(Engine.CrossEntropyHessianVectorProduct(Logits(x), Logits(s))));
    }

    /// <inheritdoc/>
    public ILoss<T> Select(ReadOnlySpan<long> rows) => new CrossEntropyLoss<T>(Engine, Engine.GatherRows(Labels, rows), Readout);
}

/// <summary>Builds <see cref="CrossEntropyLoss{T}"/> values.</summary>
public static class CrossEntropyLoss
{
    /// <summary>Cross-entropy on TorchSharp tensors: labels [B] int64, optional read-out R [m, d].</summary>
    public static CrossEntropyLoss<Tensor> Create(Tensor labels, Tensor? readout = null) => new(TorchEngine.Instance, labels, readout);
}
