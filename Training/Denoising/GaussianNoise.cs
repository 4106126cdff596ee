using RobustNode.Core.Engines;
using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Core.Sampling;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// Additive white Gaussian noise y = x + σ ε, ε ~ N(0, I), drawn from a seed (the same seed gives the same noise).
/// Noise levels are standard deviations in grey levels of [0, 1] (σ = 25/255 for "noise level 25"). The noisy
/// images are not clipped, as in the denoising literature.
/// </summary>
public static class GaussianNoise
{
    /// <summary>x + σ ε for images [B, …] with one σ for all.</summary>
    public static Fin<Tensor> Add(Tensor clean, double sigma, long seed) =>
        !(sigma >= 0) || !double.IsFinite(sigma)
            ? FinFail<Tensor>(RobustNodeErrors.InvalidArgument("noise level", $"must be finite and non-negative, got {sigma}"))
            : FinSucc(AddUnchecked(clean, tensor(Enumerable.Repeat(sigma, (int)clean.shape[0]).ToArray(), ScalarType.Float64), seed));

    /// <summary>x + σᵢ ε for images [B, …] with σᵢ drawn per image from <paramref name="levels"/> (uniformly).</summary>
    public static Fin<Tensor> AddMixed(Tensor clean, IReadOnlyList<double> levels, long seed)
    {
        if (levels.Count == 0 || levels.Any(s => !(s >= 0) || !double.IsFinite(s)))
            return FinFail<Tensor>(RobustNodeErrors.InvalidArgument("noise levels", $"need at least one finite non-negative level, got [{string.Join(", ", levels)}]"));
        var random = new SplitMix64(Seeds.Derive(seed, 1));
        var sigmas = Enumerable.Range(0, (int)clean.shape[0]).Select(_ => levels[random.NextInt(levels.Count)]).ToArray();
        using var scope = NewDisposeScope();
        return FinSucc(AddUnchecked(clean, tensor(sigmas, ScalarType.Float64), seed).MoveToOuterDisposeScope());
    }

    private static Tensor AddUnchecked(Tensor clean, Tensor sigmas, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)Seeds.Derive(seed, 2)));
        var epsilon = randn(clean.shape, ScalarType.Float64, generator: generator);
        var shape = new long[clean.shape.Length];
        System.Array.Fill(shape, 1L);
        shape[0] = clean.shape[0];
        return clean.to(ScalarType.Float64).Plus(epsilon.mul_(sigmas.view(shape))).to(clean.dtype).MoveToOuterDisposeScope();
    }
}
