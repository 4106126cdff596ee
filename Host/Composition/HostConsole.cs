using LanguageExt;
using LanguageExt.Common;

namespace RobustNode.Host.Composition;

/// <summary>Where verbs write: results and usage to <see cref="Out"/>, problems to <see cref="Error"/> (stderr for the program, string writers in tests).</summary>
public sealed record HostConsole(TextWriter Out, TextWriter Error)
{
    /// <summary>The process's stdout and stderr.</summary>
    public static HostConsole Standard => new(Console.Out, Console.Error);

    /// <summary>Most problems listed under one headline; the rest are counted.</summary>
    public const int MaxListedProblems = 50;

    /// <summary>Writes a headline and every problem under it, one per line.</summary>
    public void Report(string headline, Seq<Error> problems)
    {
        Error.WriteLine($"{headline}:");
        foreach (var problem in problems.Take(MaxListedProblems)) Error.WriteLine($"  {problem.Message}");
        if (problems.Count > MaxListedProblems) Error.WriteLine($"  … and {problems.Count - MaxListedProblems} more problems");
    }
}
