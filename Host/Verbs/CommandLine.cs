using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Verbs;

/// <summary>
/// The command line understood: <c>robustnode [verb] [--option value | --option=value]… [--config FILE]
/// [--Section:Key=value]…</c>. An option whose name holds a colon (<c>--Solver:Name=dopri5</c>,
/// <c>--Torch:Device cpu</c>) is a configuration override, passed to the configuration as it was written; everything
/// else is parsed by System.CommandLine against the <see cref="VerbCommandTree"/> of the catalog.
/// </summary>
/// <param name="Verb">The verb to run, or null when the catalog has no default verb and none was given.</param>
/// <param name="Help">
/// Set when help was asked for (<c>--help</c>, <c>-h</c>, <c>-?</c>, or the word help first) or there is no verb to
/// run: writes the usage of <paramref name="Verb"/>, or of every verb when it is null.
/// </param>
/// <param name="Overrides">Configuration overrides in the form <c>--Section:Key=value</c>.</param>
/// <param name="Arguments">The verb's options, checked.</param>
/// <param name="ConfigFile">The user's settings file of <c>--config FILE</c> (read after the shipped appsettings.json), or null.</param>
internal sealed record CommandLine(VerbDescriptor? Verb, Action<TextWriter>? Help, IReadOnlyList<string> Overrides, VerbArguments Arguments, string? ConfigFile = null)
{
    /// <summary>A command line that failed: the verb when it was recognised (for the headline), and every problem.</summary>
    public sealed record Refusal(VerbDescriptor? Verb, Seq<Error> Problems, bool UnknownVerb = false);

    private static VerbArguments NoArguments => new(new Dictionary<string, string>());

    /// <summary>Parses the arguments against the catalog's verbs; a missing verb is the catalog's default verb.</summary>
    public static Either<Refusal, CommandLine> Parse(VerbCatalog catalog, IReadOnlyList<string> args) =>
        Parse(new VerbCommandTree(catalog), catalog, args);

    /// <summary>Parses the arguments against a tree built from <paramref name="catalog"/>.</summary>
    public static Either<Refusal, CommandLine> Parse(VerbCommandTree tree, VerbCatalog catalog, IReadOnlyList<string> args)
    {
        var (overrides, rest, overrideErrors) = SplitOverrides(args);
        if (rest.Count > 0 && rest[0] == "help") rest[0] = "--help";
        bool verbGiven = rest.Count > 0 && !rest[0].StartsWith('-');
        bool helpFirst = rest.Count > 0 && (tree.Help.Name == rest[0] || tree.Help.Aliases.Contains(rest[0]));
        if (!verbGiven && !helpFirst && catalog.Find(VerbCatalog.DefaultVerb).IsSome) rest.Insert(0, VerbCatalog.DefaultVerb);

        var parsed = tree.Root.Parse(rest, VerbCommandTree.Parsing);
        var found = tree.VerbOf(parsed.CommandResult.Command);
        if (found is null && verbGiven)
            return Left<Refusal, CommandLine>(new Refusal(null,
                Seq1(HostErrors.CommandLine("robustnode", $"unknown verb {Echo.Quote(rest[0])}; known: {string.Join(", ", catalog.Descriptors.Select(d => d.Name))}")), UnknownVerb: true));
        if (parsed.Action is VerbCommandTree.Usage)
            return Right<Refusal, CommandLine>(new CommandLine(found?.Verb, output => VerbCommandTree.WriteHelp(parsed, output), overrides, NoArguments));

        var errors = new List<Error>();
        var known = found is { } v ? string.Join(", ", v.Verb.Options.Select(o => "--" + o.Name)) : "";
        var unmatched = parsed.UnmatchedTokens;
        for (int i = 0; i < unmatched.Count; i++)
        {
            var token = unmatched[i];
            if (token.StartsWith("--") && token.Length > 2 && found is { } verb)
            {
                errors.Add(HostErrors.CommandLine(Echo.Clip(token.Split('=')[0]), $"unknown option of '{verb.Verb.Name}'; known: {known}"));
                // The word after an unknown option is its value, not a second problem.
                if (!token.Contains('=') && i + 1 < unmatched.Count && !unmatched[i + 1].StartsWith('-')) i++;
            }
            else errors.Add(HostErrors.CommandLine(Echo.Clip(token), "unexpected argument; options are written --name value"));
        }
        // Messages of the tree's validators are complete ("--out: needs a value: …"); System.CommandLine's own are kept as they are.
        errors.AddRange(parsed.Errors.Select(e => Error.New(HostErrors.CommandLineCode, e.Message)));
        if (found is { } parsedVerb)
            errors.AddRange(VerbCommandTree.MissingOptions(parsed, parsedVerb.Verb, parsedVerb.Options).Select(m => Error.New(HostErrors.CommandLineCode, m)));
        errors.AddRange(overrideErrors);
        if (errors.Count > 0) return Left<Refusal, CommandLine>(new Refusal(found?.Verb, Seq(errors)));
        if (found is null)
            return Right<Refusal, CommandLine>(new CommandLine(null, output => output.Write(catalog.Usage()), overrides, NoArguments));

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (data, option) in found.Value.Options)
            if (parsed.GetResult(option) is { } result)
                values[data.Name] = result.Tokens.Count > 0 ? result.Tokens[0].Value : "true";
        var config = parsed.GetResult(tree.Config) is { Tokens.Count: > 0 } c ? c.Tokens[0].Value : null;
        return Right<Refusal, CommandLine>(new CommandLine(found.Value.Verb, null, overrides, new VerbArguments(values), config));
    }

    /// <summary>
    /// Takes the configuration overrides out of the arguments: <c>--Section:Key=value</c>, or <c>--Section:Key value</c>
    /// when the next argument is not an option, each normalised to <c>--Section:Key=value</c>; the rest in order.
    /// </summary>
    public static (IReadOnlyList<string> Overrides, List<string> Others, IReadOnlyList<Error> Errors) SplitOverrides(IReadOnlyList<string> args)
    {
        var overrides = new List<string>();
        var rest = new List<string>();
        var errors = new List<Error>();
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            int eq = arg.IndexOf('=');
            string name = eq >= 0 ? arg[..eq] : arg;
            if (!arg.StartsWith("--") || !name.Contains(':'))
            {
                rest.Add(arg);
                continue;
            }
            string? value = eq >= 0 ? arg[(eq + 1)..] : i + 1 < args.Count && !args[i + 1].StartsWith("--") ? args[++i] : null;
            if (value is null) errors.Add(HostErrors.CommandLine(Echo.Clip(arg), "a configuration override needs a value: --Section:Key=value"));
            else overrides.Add($"{name}={value}");
        }
        return (overrides, rest, errors);
    }
}
