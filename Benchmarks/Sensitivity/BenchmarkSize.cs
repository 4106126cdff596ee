using System.Globalization;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>One size a benchmark is measured at: layers N, batch B, state dimension d (the width of an image network), intra-op threads.</summary>
internal sealed record BenchmarkSize(int Layers, int Batch, int Dim, int Threads)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"N = {Layers}, B = {Batch}, d = {Dim}, {Threads} thread{(Threads > 1 ? "s" : "")}");

    /// <summary>The same size at another thread count.</summary>
    public BenchmarkSize At(int threads) => this with { Threads = threads };
}
