using RobustNode.Benchmarks.Sensitivity;

// dotnet run -c Release --project Benchmarks -- <verb> [arguments]
var verbs = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["gradients"] = GradientBenchmark.Run,
    ["augmented"] = AugmentedBenchmark.Run,
    [PeakMemory.Verb] = PeakMemory.Run,
};

if (args.Length == 0 || !verbs.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: robustnode-benchmarks <{string.Join(" | ", verbs.Keys)}> [arguments]");
    return 2;
}
return run(args[1..]);
