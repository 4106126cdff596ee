using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Solvers.Engines;

/// <summary>The TorchSharp engine: states are tensors on any device and dtype.</summary>
public sealed class TensorAlgebra : IStateAlgebra<Tensor>
{
    /// <summary>The shared instance (stateless).</summary>
    public static TensorAlgebra Instance { get; } = new();

    public Tensor AddScaled(Tensor y, ReadOnlySpan<double> weights, ReadOnlySpan<Tensor> terms)
    {
        Tensor? r = null;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0) continue;
            if (r is null) r = y.add(terms[i], weights[i]);
            else r.add_(terms[i], weights[i]);
        }
        return r ?? y.clone();
    }

    public Tensor LinearCombination(ReadOnlySpan<double> weights, ReadOnlySpan<Tensor> terms)
    {
        Tensor? r = null;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0) continue;
            if (r is null) r = terms[i].mul(weights[i]);
            else r.add_(terms[i], weights[i]);
        }
        return r ?? zeros_like(terms[0]);
    }

    public (double SumOfSquares, long Count) ScaledSquares(Tensor v, Tensor ya, Tensor yb, double rtol, double atol)
    {
        using var scope = NewDisposeScope();
        var scale = maximum(ya.abs(), yb.abs()).mul_(rtol).add_(atol);
        return (v.div(scale).square().sum().to(float64).item<double>(), v.numel());
    }

    public bool IsFinite(Tensor y)
    {
        if (y.numel() == 0) return true;
        using var scope = NewDisposeScope();
        // max propagates NaN and |±∞| = ∞: two kernels instead of isfinite's several.
        return double.IsFinite(y.abs().max().to(float64).item<double>());
    }

    public IDisposable OpenScope() => NewDisposeScope();

    public Tensor Keep(Tensor y) => y.MoveToOuterDisposeScope();

    public void Release(Tensor y) => y.Dispose();
}
