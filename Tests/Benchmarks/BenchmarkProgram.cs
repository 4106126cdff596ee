using System.Diagnostics;
using RobustNode.Tests.Host;

namespace RobustNode.Tests.Benchmarks;

/// <summary>
/// The benchmark program (Benchmarks/, built before the tests by the project reference) run as a process, as a user
/// runs it: arguments in, exit code, stdout and stderr out.
/// </summary>
public static class BenchmarkProgram
{
    /// <summary>Benchmarks/bin/&lt;configuration&gt;/&lt;framework&gt;/robustnode-benchmarks.dll of the tests' own configuration.</summary>
    public static string Assembly
    {
        get
        {
            var framework = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = framework.Parent!;
            return Path.Combine(RepositoryRoot.Path, "Benchmarks", "bin", configuration.Name, framework.Name, "robustnode-benchmarks.dll");
        }
    }

    public static (int Code, string Output, string Error) Run(params string[] arguments)
    {
        if (!File.Exists(Assembly))
            throw new FileNotFoundException($"the benchmark program {Assembly} is not built; build the solution (dotnet build RobustNode.sln -c Release)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Assembly);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"robustnode-benchmarks {string.Join(' ', arguments)} did not finish in 5 minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
