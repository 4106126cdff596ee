using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// The denoising loss: per image the mean squared error over its pixels, ℓᵢ = |Dᵢ − xᵢ|² / n for outputs and clean
/// images [B, …] of n values each; ∇ℓᵢ = 2(Dᵢ − xᵢ)/n, ∇²ℓᵢ·s = 2s/n. Its batch mean is the MSE of the batch.
/// </summary>
/// <param name="clean">The clean images (targets) [B, …].</param>
internal sealed class PixelSquaredError(Tensor clean) : ILoss<Tensor>
{
    /// <inheritdoc/>
    public IEngine<Tensor> Engine => TorchEngine.Instance;

    /// <summary>The clean images.</summary>
    public Tensor Clean { get; } = clean;

    /// <inheritdoc/>
    public string Name => "pixel-mse";

    /// <inheritdoc/>
    public long Count => Clean.shape[0];

    private double PerImageCount => Clean.shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <inheritdoc/>
    public Tensor PerSample(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x - Clean).pow(TorchScalars.Two).flatten(1).mean([1L]).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Gradient(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x - Clean).TimesInPlace(2.0 / PerImageCount).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor HessianVectorProduct(Tensor x, Tensor s) => s.Times(2.0 / PerImageCount);

    /// <inheritdoc/>
    public ILoss<Tensor> Select(ReadOnlySpan<long> rows) => new PixelSquaredError(Engine.GatherRows(Clean, rows));
}
