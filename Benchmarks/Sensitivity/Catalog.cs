using RobustNode.Benchmarks.Engines;
using RobustNode.Benchmarks.Images;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// The benchmarks' computations by benchmark, method, engine and size, so that the child processes of
/// <see cref="PeakMemory"/> can build exactly what the parent times.
/// </summary>
internal static class Catalog
{
    private static readonly Dictionary<string, Func<string, BenchmarkEngine, BenchmarkSize, Computation>> Computations = new(StringComparer.OrdinalIgnoreCase)
    {
        [GradientBenchmark.Name] = (method, engine, size) => Find(GradientBenchmark.Methods, method).Prepare(BenchmarkProblem.Create(size), engine),
        [AugmentedBenchmark.Name] = (method, engine, size) => Find(AugmentedBenchmark.Methods, method).Prepare(BenchmarkProblem.Create(size), engine),
        [ImageGradientBenchmark.Name] = (method, engine, size) => Find(ImageGradientBenchmark.Methods, method).Prepare(ImageBenchmarkProblem.Create(size), engine),
    };

    /// <summary>The computation a method of a benchmark runs on an engine at a size (prepared: leaves built, adjoint chosen).</summary>
    public static Computation Computation(string benchmark, string method, string engine, BenchmarkSize size) =>
        Computations[benchmark](method, EngineCatalog.Find(engine) ?? throw new ArgumentException($"unknown engine '{engine}'"), size);

    private static BenchmarkMethod<TProblem> Find<TProblem>(IEnumerable<BenchmarkMethod<TProblem>> methods, string name) =>
        methods.Single(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}
