namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>The benchmarks' methods by benchmark and method name (the child processes of <see cref="PeakMemory"/> look them up here).</summary>
internal static class Catalog
{
    public static IReadOnlyDictionary<string, IReadOnlyList<BenchmarkMethod>> Benchmarks { get; } =
        new Dictionary<string, IReadOnlyList<BenchmarkMethod>>(StringComparer.OrdinalIgnoreCase)
        {
            ["gradients"] = GradientBenchmark.Methods,
            ["augmented"] = AugmentedBenchmark.Methods,
        };

    public static BenchmarkMethod Find(string benchmark, string method) =>
        Benchmarks[benchmark].Single(m => string.Equals(m.Name, method, StringComparison.OrdinalIgnoreCase));
}
