using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// A prepared computation of a benchmark: <paramref name="Run"/> is what is timed and measured (it frees what it makes:
/// on the managed engine inside its own scope), <paramref name="Result"/> computes the same and returns the gradients as
/// TorchSharp tensors (the first parameter's first) for the agreement check, which converting would distort if timed.
/// </summary>
internal sealed record Computation(Action Run, Func<Tensor[]> Result)
{
    /// <summary>A computation on TorchSharp tensors, whose result needs no conversion.</summary>
    public static Computation Of(Func<Tensor[]> compute) => new(() => compute(), compute);
}
