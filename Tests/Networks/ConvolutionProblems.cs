using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Tests.Networks;

/// <summary>The random convolutional problems and the error measure the tests of the convolution sweeps share (float64).</summary>
internal static class ConvolutionProblems
{
    /// <summary>max |actual − expected| / max |expected|.</summary>
    public static double MaxRelative(Tensor actual, Tensor expected) =>
        (actual - expected).abs().max().item<double>() / Math.Max(expected.abs().max().item<double>(), 1e-300);

    /// <summary>
    /// A convolutional field of <paramref name="layers"/> layers of <paramref name="channels"/> channels on a
    /// <paramref name="size"/>×<paramref name="size"/> grid, T = 1, drawn from TorchSharp's generator as it stands:
    /// kernels N(0, 0.4²), biases N(0, 0.1²).
    /// </summary>
    public static ConvolutionField RandomField(long layers, long channels, long size) =>
        ConvolutionField.Create(randn([layers, channels, channels, 3, 3], dtype: float64) * 0.4, randn([layers, channels], dtype: float64) * 0.1, size, size, 1.0)
            .Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
}
