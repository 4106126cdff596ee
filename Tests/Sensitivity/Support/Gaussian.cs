using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>Standard normal draws from an explicit generator (tests never touch the global seed).</summary>
public static class Gaussian
{
    public static Tensor Like(Generator generator, Tensor like) => randn(like.shape, dtype: like.dtype, generator: generator);
}
