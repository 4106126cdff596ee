using LanguageExt;
using LanguageExt.Common;

namespace RobustNode.Host.Composition;

/// <summary>Where verbs write: results and usage to <see cref="Out"/>, problems to <see cref="Error"/> (stderr for the program, string writers in tests).</summary>
internal sealed record HostConsole(TextWriter Out, TextWriter Error)
{
    /// <summary>The process's stdout and stderr; interactive when stderr is a terminal.</summary>
    public static HostConsole Standard => new(Console.Out, Console.Error) { Interactive = !Console.IsErrorRedirected };

    /// <summary>True when <see cref="Error"/> is a terminal, so progress bars may redraw a line; otherwise progress is one plain line per epoch.</summary>
    public bool Interactive { get; init; }

    /// <summary>Most problems listed under one headline; the rest are counted.</summary>
    public const int MaxListedProblems = 50;

    /// <summary>Writes a headline and every problem under it, one per line (each escaped and cut, see <see cref="Echo"/>).</summary>
    public void Report(string headline, Seq<Error> problems)
    {
        Problem($"{headline}:");
        foreach (var problem in problems.Take(MaxListedProblems)) Problem($"  {problem.Message}");
        if (problems.Count > MaxListedProblems) Problem($"  … and {problems.Count - MaxListedProblems} more problems");
    }

    /// <summary>Writes one line to <see cref="Error"/>, with control and bidirectional characters escaped and the line cut to <see cref="Echo.LineLength"/>.</summary>
    public void Problem(string line) => Error.WriteLine(Echo.Line(line));
}
