namespace RobustNode.Core.Sampling;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014): a tiny seeded generator whose sequence is fixed by its definition, so
/// generated data sets, shuffles and attack starts are the same on every platform and .NET version (unlike <see cref="Random"/>,
/// whose seeded algorithm is not guaranteed to stay the same).
/// </summary>
internal sealed class SplitMix64(long seed)
{
    private ulong _state = unchecked((ulong)seed);

    /// <summary>The SplitMix64 output function (a bijective finaliser of 64-bit words).</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64-bit word: the state advances by the golden-ratio increment 0x9E3779B97F4A7C15 and is passed through <see cref="Mix"/>.</summary>
    public ulong NextUInt64() => Mix(_state += 0x9E3779B97F4A7C15UL);

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) (Lemire's multiply-shift; the bias is below 2⁻³² for n &lt; 2³²).</summary>
    public int NextInt(int n) => (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);

    /// <summary>Standard normal by the Box–Muller transform.</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A uniformly random permutation of 0..n−1 (Fisher–Yates).</summary>
    public long[] Permutation(int n)
    {
        var p = new long[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
