using RobustNode.Core.Sampling;

namespace RobustNode.Training;

/// <summary>
/// Seeds derived from a run's seed and a position (stream, epoch, batch, …) by SplitMix64 mixing. Every random
/// choice of a run draws from a seed derived from where it happens, so nothing but the position needs to be
/// known to repeat it — which is what makes a resumed run bit-identical to an uninterrupted one.
/// </summary>
internal static class Seeds
{
    /// <summary>The stream of per-epoch mini-batch shuffles.</summary>
    public const long Shuffle = 1;
    /// <summary>The stream of per-batch objective randomness (e.g. PGD random starts).</summary>
    public const long Objective = 2;
    /// <summary>The stream of parameter initialisation.</summary>
    public const long Initialisation = 3;
    /// <summary>The stream of train/test splits.</summary>
    public const long Split = 4;
    /// <summary>The stream of per-batch random shifts of training images.</summary>
    public const long Shift = 5;

    /// <summary>A seed derived from a base seed and a path of positions; different paths give unrelated seeds.</summary>
    public static long Derive(long seed, params long[] path)
    {
        ulong h = SplitMix64.Mix(unchecked((ulong)seed) ^ 0x5851F42D4C957F2DUL);
        foreach (var p in path) h = SplitMix64.Mix(h ^ SplitMix64.Mix(unchecked((ulong)p) + 0x9E3779B97F4A7C15UL));
        return unchecked((long)h);
    }
}
