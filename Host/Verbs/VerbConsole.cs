using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.IO;

namespace RobustNode.Host.Verbs;

/// <summary>
/// The console as one verb speaks to it: problems under <c>robustnode &lt;verb&gt;:</c>, each way of stopping with
/// its exit code, and the verb's output file written atomically, so that a verb that stops leaves it as it was.
/// </summary>
/// <param name="Verb">The verb's name, as typed.</param>
/// <param name="Host">Where the lines go.</param>
internal sealed record VerbConsole(string Verb, HostConsole Host)
{
    /// <summary>Results for the user (stdout).</summary>
    public TextWriter Out => Host.Out;

    /// <summary>Invalid input (command line, problem file, checkpoint): every problem under a headline; exit code 2.</summary>
    public int Invalid(string headline, Seq<Error> problems)
    {
        Host.Report($"robustnode {Verb}: {headline}", problems);
        return ExitCodes.InvalidInput;
    }

    /// <summary>A failed computation, e.g. <c>the solve of 'p.json' failed (error 300): …</c>, naming the error's code; exit code 3.</summary>
    public int Failed(string computation, Error error)
    {
        Host.Problem($"robustnode {Verb}: {computation} failed {Coded(error)}");
        return ExitCodes.ComputationFailed;
    }

    /// <summary>"(error 300): message" — the code of the registry (<see cref="Core.Errors.ErrorCodes"/>) and the message.</summary>
    public static string Coded(Error error) => $"(error {error.Code}): {error.Message}";

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> atomically and goes on with <paramref name="then"/>.
    /// A path that cannot be written is the user's to fix, so it exits with 2, like other invalid input.
    /// </summary>
    public int Write(string path, byte[] content, Func<int> then)
    {
        try
        {
            AtomicFile.WriteAllBytes(path, content);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Host.Problem($"robustnode {Verb}: cannot write '{path}': {ex.Message}");
            return ExitCodes.InvalidInput;
        }
        return then();
    }
}
