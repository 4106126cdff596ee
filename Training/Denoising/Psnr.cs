using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// Peak signal-to-noise ratio of images with grey levels in [0, 1]: PSNR = 10 log₁₀(1 / MSE) dB, MSE the mean squared
/// difference over the pixels of one image (+∞ for identical images).
/// </summary>
public static class Psnr
{
    /// <summary>The PSNR of each image of a batch [B, …] against its reference (same shape), in dB.</summary>
    public static double[] PerImage(Tensor estimate, Tensor reference)
    {
        using var scope = NewDisposeScope();
        var mse = (estimate.to(ScalarType.Float64) - reference.to(ScalarType.Float64)).pow(TorchScalars.Two).flatten(1).mean([1L]);
        return mse.data<double>().ToArray().Select(FromMeanSquaredError).ToArray();
    }

    /// <summary>10 log₁₀(1 / mse).</summary>
    public static double FromMeanSquaredError(double mse) => mse > 0 ? -10 * Math.Log10(mse) : double.PositiveInfinity;
}
