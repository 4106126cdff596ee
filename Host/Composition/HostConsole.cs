using LanguageExt;
using LanguageExt.Common;

namespace RobustNode.Host.Composition;

/// <summary>Where verbs write: results and usage to <see cref="Out"/>, problems to <see cref="Error"/> (stderr for the program, string writers in tests).</summary>
public sealed record HostConsole(TextWriter Out, TextWriter Error)
{
    /// <summary>The process's stdout and stderr; interactive when stderr is a terminal.</summary>
    public static HostConsole Standard => new(Console.Out, Console.Error) { Interactive = !Console.IsErrorRedirected };

    /// <summary>True when <see cref="Error"/> is a terminal, so progress bars may redraw a line; otherwise progress is one plain line per epoch.</summary>
    public bool Interactive { get; init; }

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
