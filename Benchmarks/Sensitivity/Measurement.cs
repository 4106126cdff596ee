namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// One method on one engine at one size: median wall time and CPU time, peak memory (the least and the most of several
/// runs, bytes; null when not measured), the tensors created from .NET per layer (each is one call into libtorch;
/// autograd's backward pass runs inside libtorch and creates none; NaN where not counted, as in PyTorch), and the
/// relative max-norm difference of its ∇_W from the first method's (the autograd baseline; NaN where not compared).
/// </summary>
/// <param name="Method">The method's name in the tables.</param>
/// <param name="JsonMethod">Its <c>method</c> value in the JSON rows.</param>
/// <param name="Objective">"standard", "augmented" or null (a forward solve).</param>
/// <param name="Engine">torch, managed, or pytorch for the rows measured in PyTorch.</param>
/// <param name="OneThreadMilliseconds">
/// At more than one thread, on an engine whose thread count is its own (not libtorch's process-wide pool): the median
/// wall time of the same computation on a one-thread engine, timed in the same rounds; null otherwise.
/// </param>
internal sealed record Measurement(string Method, string JsonMethod, string? Objective, string Engine, BenchmarkSize Size,
    double Milliseconds, double CpuMilliseconds, long? PeakBytes, long? PeakMostBytes, double TensorsPerLayer, double DifferenceFromBaseline,
    double? OneThreadMilliseconds = null)
{
    public int Layers => Size.Layers;

    public bool IsPyTorch => Engine == Results.BenchmarkRow.PyTorch;

    /// <summary>The row of the JSON files.</summary>
    public Results.BenchmarkRow Row(string benchmark) =>
        new(benchmark, JsonMethod, Engine, Size.Layers, Size.Batch, Size.Dim, Milliseconds, CpuMilliseconds,
            PeakBytes is { } b ? Math.Round(b / 1e6, 3) : null, Size.Threads, Objective);
}
