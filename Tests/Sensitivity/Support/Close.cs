using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>Relative comparisons of tensors and numbers: ‖a − e‖_∞ / ‖e‖_∞.</summary>
public static class Close
{
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<double>();
        double diff = (actual - expected).abs().max().item<double>();
        return scale == 0 ? diff : diff / scale;
    }

    public static double RelativeError(double actual, double expected) =>
        expected == 0 ? Math.Abs(actual) : Math.Abs(actual - expected) / Math.Abs(expected);

    public static void Equal(Tensor expected, Tensor actual, double tolerance, string what)
    {
        double e = RelativeError(actual, expected);
        Assert.True(e <= tolerance, $"{what}: relative error {e:E2} exceeds {tolerance:E0}");
    }

    public static void Equal(double expected, double actual, double tolerance, string what)
    {
        double e = RelativeError(actual, expected);
        Assert.True(e <= tolerance, $"{what}: {actual:R} vs {expected:R}, relative error {e:E2} exceeds {tolerance:E0}");
    }
}
