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
/// autograd leaves, pick the adjoint) and returns the computation that is timed and measured, which returns its
/// gradients (the first parameter's first) for the agreement check. <paramref name="ComparedWithBaseline"/> is false
/// for a reference computation timed alongside that does not compute the baseline's gradient (the forward solve alone;
/// ∇J beside ∇𝒥).
/// </summary>
internal sealed record BenchmarkMethod<TProblem>(string Name, string Description, Func<TProblem, Func<Tensor[]>> Prepare, bool ComparedWithBaseline = true)
    : IBenchmarkMethod;

/// <summary>Unwraps a library result inside a benchmark, where a failure is a bug in the benchmark.</summary>
internal static class Unwrap
{
    public static Tensor[] Gradients<T>(LanguageExt.Fin<T> result, Func<T, IEnumerable<Tensor>> pick) =>
        result.Match(value => pick(value).ToArray(), error => throw new InvalidOperationException(error.Message));
}
