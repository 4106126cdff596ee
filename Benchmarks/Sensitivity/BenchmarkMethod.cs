using RobustNode.Benchmarks.Engines;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>What the reports show of a method: its name, what it computes, and whether it computes the baseline's gradient.</summary>
internal interface IBenchmarkMethod
{
    string Name { get; }
    string Description { get; }
    bool ComparedWithBaseline { get; }
}

/// <summary>
/// One way of computing a gradient of a benchmark problem: <paramref name="Prepare"/> does what a user does once (build
/// autograd leaves, pick the adjoint, move the problem onto an engine) and returns the computation that is timed and
/// measured, which returns its gradients (the first parameter's first) for the agreement check.
/// <paramref name="ComparedWithBaseline"/> is false for a reference computation timed alongside that does not compute
/// the baseline's gradient (the forward solve alone; ∇J beside ∇𝒥).
/// </summary>
/// <param name="Name">The name in the markdown tables (e.g. <c>first-order</c>).</param>
/// <param name="Description">What it computes, for the page.</param>
/// <param name="Method">Its <c>method</c> value in the JSON rows.</param>
/// <param name="Objective">Its <c>objective</c> value in the JSON rows: "standard", "augmented", or null for a forward solve.</param>
/// <param name="Prepare">Prepares the computation for a problem on an engine.</param>
/// <param name="ComparedWithBaseline">Whether it computes the baseline's gradient.</param>
internal sealed record BenchmarkMethod<TProblem>(string Name, string Description, string Method, string? Objective,
    Func<TProblem, BenchmarkEngine, Computation> Prepare, bool ComparedWithBaseline = true) : IBenchmarkMethod
{
    /// <summary>
    /// True for RobustNode's own computations, which run on every engine; false (the default) for the baselines written
    /// with TorchSharp tensors and autograd, and for convolutional networks, which exist on the torch engine only.
    /// </summary>
    public bool OnEveryEngine { get; init; }

    public bool RunsOn(BenchmarkEngine engine) => OnEveryEngine || engine.Name == EngineCatalog.Torch;
}

/// <summary>Unwraps a library result inside a benchmark, where a failure is a bug in the benchmark.</summary>
internal static class Unwrap
{
    public static Tensor[] Gradients<T>(LanguageExt.Fin<T> result, Func<T, IEnumerable<Tensor>> pick) =>
        result.Match(value => pick(value).ToArray(), error => throw new InvalidOperationException(error.Message));
}
