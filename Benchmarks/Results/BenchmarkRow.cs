using System.Text.Json.Serialization;

namespace RobustNode.Benchmarks.Results;

/// <summary>
/// One measurement as the benchmarks' JSON files hold it (docs/benchmarks/README.md, "JSON rows"): exactly the nine
/// keys <c>benchmark</c>, <c>method</c>, <c>engine</c>, <c>layers</c>, <c>batch</c>, <c>dim</c>, <c>wallMs</c>,
/// <c>cpuMs</c>, <c>peakMB</c>. <see cref="Threads"/> and <see cref="Objective"/> are not written: they choose the file
/// a row goes to (<see cref="ResultFile"/>), so that within one file the nine keys tell every row apart (the same size
/// at one and two threads; a standard and an augmented epoch, both by the discrete adjoint). <see cref="Checked"/>
/// tests every value against its closed set, so a row that breaks the contract is a bug found where it is made.
/// </summary>
/// <param name="Benchmark">"gradients" | "augmented" | "image-gradients" | "train-epoch": the benchmark that measured it.</param>
/// <param name="Method">"autograd" | "double-backprop" | "discrete" | "stored" | "checkpoint" | "backsolve" | "forward".</param>
/// <param name="Engine">"torch" | "managed" in a RobustNode file; "pytorch" in the PyTorch file beside it.</param>
/// <param name="Layers">ODE layers N.</param>
/// <param name="Batch">Batch size B.</param>
/// <param name="Dim">State dimension d (nODE); the ODE block's width in channels (image network).</param>
/// <param name="WallMs">Median wall time, milliseconds (one epoch for train-epoch).</param>
/// <param name="CpuMs">Median CPU time of the threads doing the work, milliseconds.</param>
/// <param name="PeakMB">Peak memory of one computation, 10⁶ bytes; null when not measured.</param>
/// <param name="Threads">Intra-op threads of libtorch (and of the managed engine).</param>
/// <param name="Objective">"standard" (J) | "augmented" (𝒥 = J + ε‖∇ₓ₀ℓ‖) for a gradient or a training epoch; null for a forward solve.</param>
internal sealed record BenchmarkRow(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("engine")] string Engine,
    [property: JsonPropertyName("layers")] int Layers,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("dim")] int Dim,
    [property: JsonPropertyName("wallMs")] double WallMs,
    [property: JsonPropertyName("cpuMs")] double CpuMs,
    [property: JsonPropertyName("peakMB")] double? PeakMB,
    [property: JsonIgnore] int Threads,
    [property: JsonIgnore] string? Objective)
{
    public static readonly IReadOnlySet<string> Benchmarks = new HashSet<string> { "gradients", "augmented", "image-gradients", "train-epoch" };
    public static readonly IReadOnlySet<string> Methods = new HashSet<string> { "autograd", "double-backprop", "discrete", "stored", "checkpoint", "backsolve", "forward" };
    public static readonly IReadOnlySet<string> Engines = new HashSet<string> { "torch", "managed" };
    public static readonly IReadOnlySet<string> Objectives = new HashSet<string> { "standard", "augmented" };

    /// <summary>The engine value of the rows measured in PyTorch, which go to their own file.</summary>
    public const string PyTorch = "pytorch";

    public const string Standard = "standard";
    public const string Augmented = "augmented";

    /// <summary>Checks every value against its set; throws on a bug (a row the contract does not allow).</summary>
    public BenchmarkRow Checked(bool pyTorch = false)
    {
        static void Require(bool ok, string message) { if (!ok) throw new InvalidOperationException($"benchmark row: {message}"); }
        Require(Benchmarks.Contains(Benchmark), $"benchmark '{Benchmark}' is not one of {string.Join(", ", Benchmarks)}");
        Require(Methods.Contains(Method), $"method '{Method}' is not one of {string.Join(", ", Methods)}");
        Require(pyTorch ? Engine == PyTorch : Engines.Contains(Engine), $"engine '{Engine}' is not allowed in this file");
        Require(Layers > 0 && Batch > 0 && Dim > 0 && Threads > 0, "layers, batch, dim and threads must be positive");
        Require(double.IsFinite(WallMs) && WallMs >= 0 && double.IsFinite(CpuMs) && CpuMs >= 0, "times must be finite and non-negative");
        Require(PeakMB is null || double.IsFinite(PeakMB.Value), "peakMB must be finite or null");
        Require(Objective is null ? Method == "forward" : Objectives.Contains(Objective), $"objective '{Objective}' does not fit method '{Method}'");
        return this;
    }
}

/// <summary>The source-generated serializer of the rows (no reflection at run time; nulls written as null).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BenchmarkRow[]))]
internal sealed partial class BenchmarkRowContext : JsonSerializerContext;
