using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Core.Losses;

/// <summary>Squared error ℓ = |x − y|₂² (seed talk): ∇ℓ = 2(x − y), ∇²ℓ·s = 2s.</summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class SquaredErrorLoss<T>(IEngine<T> engine, T targets) : ILoss<T>
{
    /// <inheritdoc/>
    public IEngine<T> Engine { get; } = engine;
    /// <summary>Targets y [B, d].</summary>
    public T Targets { get; } = targets;
    /// <inheritdoc/>
    public string Name => "square";
    /// <inheritdoc/>
    public long Count => Engine.BatchSize(Targets);

    /// <inheritdoc/>
    public T PerSample(T x)
    {
        using var scope = Engine.OpenScope();
        var difference = Engine.Add(x, Targets, -1);
        return Engine.Keep(Engine.SumPerSample(Engine.Multiply(difference, difference)));
    }

    /// <inheritdoc/>
    public T Gradient(T x)
    {
        using var scope = Engine.OpenScope();
        return Engine.Keep(Engine.Scale(Engine.Add(x, Targets, -1), 2));
    }

    /// <inheritdoc/>
    public T HessianVectorProduct(T x, T s) => Engine.Scale(s, 2);

    /// <inheritdoc/>
    public ILoss<T> Select(ReadOnlySpan<long> rows) => new SquaredErrorLoss<T>(Engine, Engine.GatherRows(Targets, rows));
}

/// <summary>Builds <see cref="SquaredErrorLoss{T}"/> values.</summary>
public static class SquaredErrorLoss
{
    /// <summary>Squared error on TorchSharp tensors against targets [B, d].</summary>
    public static SquaredErrorLoss<Tensor> Create(Tensor targets) => new(TorchEngine.Instance, targets);
}
