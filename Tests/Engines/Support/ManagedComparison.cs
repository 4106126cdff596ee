using System.Numerics;
using RobustNode.Core.Engines.Managed;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Engines.Support;

/// <summary>
/// Random operands made once as TorchSharp tensors of the engine's dtype and copied into the managed engine (so both
/// engines see the same numbers), and the comparison of a managed result with the TorchSharp operation it mirrors:
/// |managed − torch| ≤ tolerance · (|torch| + scale), where the scale is the magnitude of the terms a sum cancelled
/// (0 for elementwise operations, whose error is relative to each element).
/// </summary>
public sealed class ManagedComparison<TScalar>(double tolerance)
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    public ManagedEngine<TScalar> Engine { get; } = new();

    private static readonly double SmallestNormal = typeof(TScalar) == typeof(float) ? 1.1754943508222875e-38 : 2.2250738585072014e-308;

    public double Tolerance { get; } = tolerance;

    public static ScalarType DType => ManagedEngine<TScalar>.ElementType;

    /// <summary>Normal values of the engine's dtype.</summary>
    public static Tensor Normal(Random random, params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var values = new double[n];
        for (long i = 0; i < n; i++) values[i] = Gaussian(random);
        return tensor(values, shape, float64).to(DType);
    }

    /// <summary>Small whole numbers in [−k, k] (ties and zeros are frequent).</summary>
    public static Tensor Whole(Random random, int k, params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var values = new double[n];
        for (long i = 0; i < n; i++) values[i] = random.Next(-k, k + 1);
        return tensor(values, shape, float64).to(DType);
    }

    /// <summary>Class labels 0 … classes − 1 as int64 (TorchSharp's labels).</summary>
    public static Tensor Labels(Random random, int batch, int classes) =>
        tensor(Enumerable.Range(0, batch).Select(_ => (long)random.Next(classes)).ToArray(), [batch], int64);

    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public ManagedTensor<TScalar> Managed(Tensor t) => Engine.FromTensor(t);

    /// <summary>Asserts that the managed value equals the TorchSharp tensor in shape and, to the tolerance, in every element.</summary>
    public void Equal(Tensor expected, ManagedTensor<TScalar> actual, string what, Tensor? scale = null)
    {
        Assert.Equal(expected.shape, actual.Shape.ToArray());
        if (expected.numel() == 0) return;
        var e = expected.to(float64).contiguous().data<double>().ToArray();
        var a = Engine.ToArray(actual);
        var s = scale?.to(float64).contiguous().data<double>().ToArray();
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i]) && double.IsNaN(a[i])) continue;
            if (e[i] == a[i]) continue;
            // Below the smallest normal number libtorch may flush to zero where the managed kernels keep a subnormal.
            double bound = Tolerance * (Math.Abs(e[i]) + (s is null ? 0 : Math.Abs(s[i]))) + SmallestNormal;
            Assert.True(Math.Abs(a[i] - e[i]) <= bound,
                $"{what} [{typeof(TScalar).Name}, {string.Join("×", expected.shape)}]: element {i} is {a[i]:R}, TorchSharp gives {e[i]:R} (tolerance {bound:E2})");
        }
    }

    /// <summary>Asserts that two numbers agree to the tolerance relative to the scale (|expected| when none is given).</summary>
    public void Equal(double expected, double actual, string what, double scale = 0)
    {
        if (double.IsNaN(expected) && double.IsNaN(actual)) return;
        double bound = Tolerance * (Math.Abs(expected) + scale);
        Assert.True(Math.Abs(actual - expected) <= bound, $"{what} [{typeof(TScalar).Name}]: {actual:R}, TorchSharp gives {expected:R}");
    }
}
