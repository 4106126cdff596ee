using System.Diagnostics;
using Xunit;

namespace RobustNode.Tests.Oracles;

/// <summary>
/// A fact that needs the PyTorch oracle: Debian's <c>/usr/bin/python3</c> with <c>torch</c> (packages
/// <c>python3-torch</c>, <c>python3-scipy</c>). Where it is missing the test is skipped with a message saying so,
/// instead of failing.
/// </summary>
public sealed class PyTorchFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Why the oracle cannot run here, or null when it can.</summary>
    internal static readonly Lazy<string?> Missing = new(Check);

    public PyTorchFactAttribute()
    {
        if (Missing.Value is { } reason) Skip = reason;
    }

    private static string? Check()
    {
        const string install = "install Debian's python3-torch (apt-get install python3-torch python3-scipy) to run the PyTorch oracle tests";
        if (!File.Exists(Python)) return $"{Python} not found: {install}";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            if (!process.WaitForExit(60_000)) { process.Kill(); return $"{Python} -c \"import torch\" timed out"; }
            return process.ExitCode == 0 ? null : $"{Python} cannot import torch: {install}";
        }
        catch (Exception e)
        {
            return $"{Python} could not be started ({e.Message}): {install}";
        }
    }
}
