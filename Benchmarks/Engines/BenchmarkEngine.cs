using RobustNode.Benchmarks.Sensitivity;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Engines;

/// <summary>
/// An engine RobustNode's own computations (solves, adjoints) run on in a benchmark: a name registered in the host's
/// engine catalog (<see cref="CompositionRoot.Engines"/>, the one list of engines), as the <c>--engine</c> option and the
/// JSON rows spell it, and one line for the reports.
/// </summary>
/// <param name="Name">The engine's name (<c>torch</c>, <c>managed</c>).</param>
/// <param name="Description">One line for the reports.</param>
internal sealed record BenchmarkEngine(string Name, string Description)
{
    /// <summary>The engine made by the host's catalog for a size: its element type and threads, on the CPU.</summary>
    public EngineChoice Create(BenchmarkSize size) =>
        CompositionRoot.Engines.Create(Name, new EngineRequest(size.DType, CPU, size.Threads));
}
