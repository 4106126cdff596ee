using LanguageExt;
using LanguageExt.Common;

namespace RobustNode.Host.Verbs;

/// <summary>An option of a verb: <c>--name VALUE</c> (or <c>--name=VALUE</c>); a flag when it takes no value.</summary>
/// <param name="Name">Name without the leading dashes.</param>
/// <param name="Value">Placeholder of its value in the usage text (<c>FILE.json</c>), or null for a flag.</param>
/// <param name="Description">One line for the usage text.</param>
/// <param name="Required">The verb cannot run without it.</param>
/// <param name="Check">
/// Checks a given value while the command line is parsed: null when it is acceptable, otherwise the problem
/// (naming the option, <c>--count: expected a positive integer, got '0'</c>), reported with the other command-line problems.
/// </param>
internal sealed record VerbOption(string Name, string? Value, string Description, bool Required = false, Func<string, string?>? Check = null)
{
    /// <summary>True when the option takes no value.</summary>
    public bool IsFlag => Value is null;

    /// <summary>The option with its value checked by the verb's own reading of it (the first problem it names).</summary>
    public VerbOption CheckedBy<T>(Func<string?, Validation<Error, T>> read) =>
        this with { Check = text => read(text) is { IsFail: true } failed ? failed.FailToSeq().Head.Message : null };
}

/// <summary>What the command line and the usage text know of a verb, without constructing it.</summary>
/// <param name="Name">The verb as typed: <c>robustnode solve …</c>.</param>
/// <param name="Summary">One line for the usage text.</param>
/// <param name="Options">The options it accepts.</param>
internal sealed record VerbDescriptor(string Name, string Summary, IReadOnlyList<VerbOption> Options);

/// <summary>
/// A command of <c>robustnode</c> (solve, sensitivity, train, evaluate, attack, bench): one class each,
/// constructed by the DI container with what it needs, registered once in
/// <see cref="Composition.CompositionRoot.Verbs"/>. Errors it reports go to stderr; it returns an
/// <see cref="Composition.ExitCodes">exit code</see>.
/// </summary>
internal interface IVerb
{
    /// <summary>Name, summary and options, known before the verb is constructed.</summary>
    static abstract VerbDescriptor Descriptor { get; }

    /// <summary>Runs the verb with its (already checked) options.</summary>
    int Run(VerbArguments arguments);
}
