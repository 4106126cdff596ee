using System.Runtime.InteropServices;
using RobustNode.Benchmarks.Images;
using RobustNode.Benchmarks.Solvers;

// Verbs: `solvers` — work–precision on DETEST beside SciPy, and the RK4 abstraction overhead; writes docs/benchmarks/solvers.md.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: robustnode-benchmarks solvers | images [data=mnist|fashion-mnist] [key=value …]");
    return args.Length == 0 ? 1 : 0;
}
switch (args[0])
{
    case "solvers":
        // The timing runs first, in a fresh process, before the work–precision solves fill the heap and the JIT's profiles.
        Console.WriteLine("RK4 step overhead (interleaved, median) …");
        var steps = StepOverhead.Measure();
        Console.WriteLine($"  Ode.Solve {steps.Solve:F1} µs, direct {steps.Direct:F1} µs: overhead {steps.Overhead:P1} (wall), {steps.CpuOverhead:P1} (thread CPU)");
        Console.WriteLine("work and precision on DETEST …");
        var work = WorkPrecision.Measure();
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
        string machine = $"{RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                         $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} CPU; 1-minute load average {load} at the end of the run";
        var markdown = SolversReport.Render(work, steps, machine);
        Console.WriteLine();
        Console.WriteLine(markdown);
        var path = Path.Combine(RepositoryRoot(), "docs", "benchmarks", "solvers.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, markdown);
        Console.WriteLine($"written to {path}");
        return 0;
    case "images":
        // The seed talk's robustness table on MNIST digits or Fashion-MNIST: key=value settings, see RobustnessTable.Parse.
        var settings = RobustnessTable.Parse(args[1..]);
        var table = RobustnessTable.Run(settings, RepositoryRoot());
        Console.WriteLine(table);
        var tablePath = Path.Combine(RepositoryRoot(), "docs", "benchmarks", $"{settings.Data}.md");
        Directory.CreateDirectory(Path.GetDirectoryName(tablePath)!);
        File.WriteAllText(tablePath, table);
        Console.WriteLine($"written to {tablePath}");
        return 0;
    default:
        Console.Error.WriteLine($"unknown verb '{args[0]}'; known: solvers, images");
        return 1;
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "RobustNode.sln"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}
