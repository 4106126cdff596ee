using System.Globalization;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// One size a benchmark is measured at: layers N, batch B, state dimension d (the width of an image network), intra-op
/// threads (libtorch's and the managed engine's), and the element type (<c>float32</c> or <c>float64</c>).
/// </summary>
internal sealed record BenchmarkSize(int Layers, int Batch, int Dim, int Threads, string Precision = BenchmarkSize.Float32)
{
    public const string Float32 = "float32";
    public const string Float64 = "float64";

    /// <summary>The element types a benchmark can be measured in.</summary>
    public static readonly IReadOnlyList<string> Precisions = [Float32, Float64];

    /// <summary>The TorchSharp element type of <see cref="Precision"/>.</summary>
    public ScalarType DType => Precision == Float64 ? ScalarType.Float64 : ScalarType.Float32;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"N = {Layers}, B = {Batch}, d = {Dim}, {Threads} thread{(Threads > 1 ? "s" : "")}{(Precision == Float32 ? "" : $", {Precision}")}");

    /// <summary>The same size at another thread count.</summary>
    public BenchmarkSize At(int threads) => this with { Threads = threads };
}
