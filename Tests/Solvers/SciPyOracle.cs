using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RobustNode.Tests.Solvers;

/// <summary>One outside solve: problem, method (RK45, DOP853, …), tolerances, function evaluations, final state.</summary>
public sealed record OracleRun(string Problem, string Method, double RelativeTolerance, double AbsoluteTolerance,
    int FunctionEvaluations, double[] Final);

/// <summary>The answer of the oracle: SciPy's version, the runs, and reference final states.</summary>
public sealed record OracleAnswer(string Version, IReadOnlyList<OracleRun> Runs, IReadOnlyDictionary<string, double[]> References);

/// <summary>
/// SciPy's <c>solve_ivp</c> as an outside oracle for the adaptive solvers, run through Debian's
/// <c>/usr/bin/python3</c> (python3-scipy) on the script Benchmarks/oracles/detest.py. Where the
/// interpreter or SciPy is missing, <see cref="Available"/> is false and callers skip.
/// </summary>
public static class SciPyOracle
{
    /// <summary>The interpreter that has SciPy on Debian.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(FindMissing);

    /// <summary>True when the oracle can run here.</summary>
    public static bool Available => Missing.Value is null;

    /// <summary>Why the oracle cannot run (null when it can).</summary>
    public static string? WhyUnavailable => Missing.Value;

    /// <summary>The oracle script, next to the test or benchmark assembly (copied at build time) or in the source tree.</summary>
    public static string Script
    {
        get
        {
            var beside = Path.Combine(AppContext.BaseDirectory, "oracles", "detest.py");
            if (File.Exists(beside)) return beside;
            for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "Benchmarks", "oracles", "detest.py");
                if (File.Exists(candidate)) return candidate;
            }
            return beside;
        }
    }

    private static string? FindMissing()
    {
        if (!File.Exists(Python)) return $"{Python} not found (install Debian's python3-scipy)";
        if (!File.Exists(Script)) return $"oracle script {Script} not found";
        try
        {
            var (code, _, error) = Run(["-c", "import scipy"], "");
            return code == 0 ? null : $"SciPy is not importable by {Python} (install Debian's python3-scipy): {error.Trim()}";
        }
        catch (Exception ex)
        {
            return $"{Python} could not be started: {ex.Message}";
        }
    }

    /// <summary>Solves the given (problem, method, rtol, atol) runs and computes tight references for the named problems.</summary>
    public static OracleAnswer Solve(IEnumerable<(string Problem, string Method, double Rtol, double Atol)> runs, IEnumerable<string>? references = null)
    {
        var request = new JsonObject
        {
            ["runs"] = new JsonArray(runs.Select(r => (JsonNode)new JsonObject
            {
                ["problem"] = r.Problem, ["method"] = r.Method, ["rtol"] = r.Rtol, ["atol"] = r.Atol,
            }).ToArray()),
            ["references"] = new JsonArray((references ?? []).Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
        };
        var (code, output, error) = Run([Script], request.ToJsonString());
        if (code != 0) throw new InvalidOperationException($"the SciPy oracle failed (exit {code}): {error}");
        var answer = JsonNode.Parse(output)!;
        var parsed = answer["runs"]!.AsArray().Select(r => new OracleRun(
            (string)r!["problem"]!, (string)r["method"]!, (double)r["rtol"]!, (double)r["atol"]!,
            (int)r["nfev"]!, r["y"]!.AsArray().Select(v => (double)v!).ToArray())).ToArray();
        var refs = answer["references"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.AsArray().Select(v => (double)v!).ToArray());
        return new OracleAnswer((string)answer["scipy"]!, parsed, refs);
    }

    private static (int Code, string Output, string Error) Run(IReadOnlyList<string> arguments, string input)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
