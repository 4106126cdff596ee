using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using RobustNode.Benchmarks.Engines;

namespace RobustNode.Benchmarks.PyTorch;

/// <summary>
/// Runs the PyTorch side of a benchmark: a script of Benchmarks/oracles/ under Debian's <c>/usr/bin/python3</c> with
/// <c>python3-torch</c> (PyTorch 1.13), one JSON request on standard input, one JSON answer on standard output. Where the
/// interpreter or torch is missing, <see cref="Missing"/> says why and the benchmarks skip the PyTorch rows with that line.
/// </summary>
internal static class PyTorchScript
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> WhyMissing = new(Check);

    /// <summary>Why PyTorch cannot run here, or null when it can.</summary>
    public static string? Missing => WhyMissing.Value;

    /// <summary>The version the interpreter reports (e.g. 1.13.0a0), or null where it is missing.</summary>
    public static string? Version { get; private set; }

    /// <summary>A script, next to the benchmark assembly (copied at build time) or in the source tree.</summary>
    public static string Path(string script)
    {
        var beside = System.IO.Path.Combine(AppContext.BaseDirectory, "oracles", script);
        if (File.Exists(beside)) return beside;
        var source = System.IO.Path.Combine(Sensitivity.BenchmarkRun.RepositoryRoot(), "Benchmarks", "oracles", script);
        return File.Exists(source) ? source : beside;
    }

    private static string? Check()
    {
        const string install = "install Debian's python3-torch (apt-get install python3-torch) to measure the PyTorch baseline";
        if (!File.Exists(Python)) return $"{Python} not found: {install}";
        try
        {
            var (code, output, error) = Run(["-c", "import torch; print(torch.__version__)"], "", TimeSpan.FromMinutes(2), threads: 1);
            if (code != 0) return $"{Python} cannot import torch ({error.Trim().Split('\n')[^1]}): {install}";
            Version = output.Trim();
            return null;
        }
        catch (Exception e)
        {
            return $"{Python} could not be started ({e.Message}): {install}";
        }
    }

    /// <summary>Runs a script with a JSON request and parses its JSON answer; a failing script is an error naming it.</summary>
    public static JsonNode Request(string script, JsonObject request, int threads, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var path = Path(script);
        var (code, output, error) = Run([path], request.ToJsonString(), timeout ?? TimeSpan.FromHours(2), threads, environment);
        if (code != 0) throw new InvalidOperationException($"{Python} {path} failed (exit {code}): {error.Trim()}");
        try
        {
            return JsonNode.Parse(output) ?? throw new JsonException("empty answer");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{Python} {path} answered no JSON ({e.Message}): {output[..Math.Min(output.Length, 500)]}");
        }
    }

    // One glibc arena and no heap top padding, as in the .NET memory children, so that peaks measure what is asked for;
    // OMP_NUM_THREADS as asked, so that libgomp's pool is the size torch.set_num_threads will use, and its spin bounded
    // as in this process (OpenMpSpin).
    internal static ProcessStartInfo StartInfo(IEnumerable<string> arguments, int threads, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["MALLOC_ARENA_MAX"] = "1";
        start.Environment["MALLOC_TOP_PAD_"] = "0";
        start.Environment["OMP_NUM_THREADS"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        OpenMpSpin.Bound(start);
        return start;
    }

    private static (int Code, string Output, string Error) Run(IEnumerable<string> arguments, string input, TimeSpan timeout, int threads,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Process.Start(StartInfo(arguments, threads, environment))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Python} did not finish within {timeout}");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
