using System.Runtime.InteropServices;
using RobustNode.Benchmarks.Engines;
using RobustNode.Benchmarks.Images;
using RobustNode.Benchmarks.Profiling;
using RobustNode.Benchmarks.Sensitivity;
using RobustNode.Benchmarks.Solvers;

// dotnet run -c Release --project Benchmarks -- <verb> [arguments]; each verb rewrites its page in docs/benchmarks/.
OpenMpSpin.Bound(); // before libtorch loads
var verbs = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["solvers"] = _ => Solvers(),
    ["gradients"] = GradientBenchmark.Run,
    ["augmented"] = AugmentedBenchmark.Run,
    ["images"] = Images,
    [ImageGradientBenchmark.Name] = ImageGradientBenchmark.Run,
    [TrainEpochBenchmark.Name] = TrainEpochBenchmark.Run,
    [ImageProfile.Name] = ImageProfile.Run,
    [ImageProfile.StepsVerb] = ImageProfile.RunSteps,
    [PeakMemory.Verb] = PeakMemory.Run,
    [KernelBenchmark.Name] = KernelBenchmark.Run,
};

if (args.Length == 0 || !verbs.TryGetValue(args[0], out var run))
{
    // peak-memory and image-profile-steps are the child processes of other verbs.
    var shown = verbs.Keys.Where(v => v != PeakMemory.Verb && v != ImageProfile.StepsVerb);
    Console.Error.WriteLine($"usage: robustnode-benchmarks <{string.Join(" | ", shown)}> [arguments]; see docs/benchmarks/README.md");
    return 2;
}
return run(args[1..]);

// Work–precision on DETEST beside SciPy, and the RK4 abstraction overhead: docs/benchmarks/solvers.md.
static int Solvers()
{
    // The timing runs first, in a fresh process, before the work–precision solves fill the heap and the JIT's profiles.
    Console.WriteLine("RK4 step overhead (interleaved, median) …");
    var steps = StepOverhead.Measure();
    Console.WriteLine($"  Ode.Solve {steps.Solve:F1} µs, direct {steps.Direct:F1} µs: overhead {steps.Overhead:P1} (wall), {steps.CpuOverhead:P1} (thread CPU)");
    Console.WriteLine("work and precision on DETEST …");
    var work = WorkPrecision.Measure();
    string load = RobustNode.Benchmarks.Results.MachineReadings.LoadAverage();
    string machine = $"{RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                     $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} CPU; 1-minute load average {load} at the end of the run";
    var markdown = SolversReport.Render(work, steps, machine);
    Console.WriteLine();
    Console.WriteLine(markdown);
    return Write("solvers.md", markdown);
}

// The seed talk's robustness table on MNIST digits or Fashion-MNIST (key=value settings, see RobustnessTable.Parse).
static int Images(string[] arguments)
{
    var settings = RobustnessTable.Parse(arguments);
    var table = RobustnessTable.Run(settings, BenchmarkRun.RepositoryRoot());
    Console.WriteLine(table);
    return Write(settings.Output ?? $"{settings.Data}.md", table);
}

static int Write(string name, string markdown)
{
    var path = Path.Combine(BenchmarkRun.RepositoryRoot(), "docs", "benchmarks", name);
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    File.WriteAllText(path, markdown);
    Console.WriteLine($"written to {path}");
    return 0;
}
