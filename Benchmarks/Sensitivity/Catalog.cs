using RobustNode.Benchmarks.Images;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// The benchmarks' computations by benchmark, method and depth N, so that the child processes of
/// <see cref="PeakMemory"/> can build exactly what the parent times.
/// </summary>
internal static class Catalog
{
    private static readonly Dictionary<string, Func<string, int, Func<Tensor[]>>> Computations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gradients"] = (method, n) => Find(GradientBenchmark.Methods, method).Prepare(BenchmarkProblem.Create(n)),
        ["augmented"] = (method, n) => Find(AugmentedBenchmark.Methods, method).Prepare(BenchmarkProblem.Create(n)),
        [ImageGradientBenchmark.Name] = (method, n) => Find(ImageGradientBenchmark.Methods, method).Prepare(ImageBenchmarkProblem.Create(n)),
    };

    /// <summary>The computation a method of a benchmark runs at depth N (prepared: leaves built, adjoint chosen).</summary>
    public static Func<Tensor[]> Computation(string benchmark, string method, int layers) => Computations[benchmark](method, layers);

    private static BenchmarkMethod<TProblem> Find<TProblem>(IEnumerable<BenchmarkMethod<TProblem>> methods, string name) =>
        methods.Single(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}
