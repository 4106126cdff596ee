using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace RobustNode.Host.Verbs;

/// <summary>
/// The System.CommandLine command tree of a <see cref="VerbCatalog"/>: one subcommand per verb, one option per
/// <see cref="VerbOption"/>, <c>--config FILE</c> on every verb, and System.CommandLine's help option
/// (<c>-h</c>, <c>--help</c>, <c>-?</c>) on all of them. The tree is built from the catalog's data, so a new verb or
/// option needs no code here. Each option's checks (a value where one is needed, a flag's value, given once, the
/// option's own <see cref="VerbOption.Check"/>) are System.CommandLine validators whose messages name the option as <c>--name: reason</c>.
/// </summary>
/// <remarks>
/// Response files (<c>@file</c>), directives (<c>[diagram]</c>) and POSIX bundling are switched off: the program's
/// command line means what it says. Configuration overrides (<c>--Section:Key=value</c>) never reach the tree; see
/// <see cref="CommandLine.SplitOverrides"/>.
/// </remarks>
internal sealed class VerbCommandTree
{
    private readonly Dictionary<string, (VerbDescriptor Verb, Command Command, IReadOnlyList<(VerbOption Data, Option<string[]> Option)> Options)> _verbs =
        new(StringComparer.Ordinal);

    /// <summary>The option, valid for every verb, that names the user's settings file.</summary>
    public static VerbOption ConfigOption { get; } = new("config", "FILE.json", "settings read after the shipped appsettings.json");

    /// <summary>How the tree parses: no response files, no bundling of short options.</summary>
    public static ParserConfiguration Parsing { get; } = new() { EnablePosixBundling = false, ResponseFileTokenReplacer = null };

    /// <summary>Builds the tree of the catalog's verbs.</summary>
    public VerbCommandTree(VerbCatalog catalog)
    {
        Root = new RootCommand("robustnode — neural ODEs robust to adversarial attacks");
        Root.Directives.Clear();
        // Only --help, -h and -?: System.CommandLine's default help option also answers to /h and /?, which are paths
        // here; there is no --version.
        foreach (var option in Root.Options.Where(o => o is VersionOption or HelpOption).ToArray()) Root.Options.Remove(option);
        Help = new HelpOption("--help", "-h", "-?") { Action = new Usage(catalog), Recursive = true };
        Root.Add(Help);
        Config = OptionOf(ConfigOption);
        Config.Recursive = true;
        Root.Add(Config);
        foreach (var verb in catalog.Descriptors)
        {
            var command = new Command(verb.Name, verb.Summary) { TreatUnmatchedTokensAsErrors = false };
            var options = verb.Options.Select(o => (o, OptionOf(o))).ToArray();
            foreach (var (_, option) in options) command.Add(option);
            Root.Add(command);
            _verbs.Add(verb.Name, (verb, command, options));
        }
    }

    /// <summary>Runs the help action of a parsed command line, writing to <paramref name="output"/>.</summary>
    public static void WriteHelp(ParseResult parsed, TextWriter output) =>
        parsed.Invoke(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false });

    /// <summary>The root command <c>robustnode</c>.</summary>
    public RootCommand Root { get; }

    /// <summary>System.CommandLine's help option (recursive: every verb has it).</summary>
    public HelpOption Help { get; }

    /// <summary>The <c>--config FILE</c> option.</summary>
    public Option<string[]> Config { get; }

    /// <summary>The verb's descriptor and options of a parsed command, or null for the root.</summary>
    public (VerbDescriptor Verb, IReadOnlyList<(VerbOption Data, Option<string[]> Option)> Options)? VerbOf(Command command) =>
        _verbs.TryGetValue(command.Name, out var v) && ReferenceEquals(v.Command, command) ? (v.Verb, v.Options) : null;

    /// <summary>
    /// The required options of the verb that are missing, as <c>--problem: required by 'solve': --problem FILE.json</c>.
    /// </summary>
    /// <remarks>
    /// Not a command validator: System.CommandLine skips the options' validators once a command validator fails,
    /// and a missing option should not hide a malformed one.
    /// </remarks>
    public static IEnumerable<string> MissingOptions(ParseResult parsed, VerbDescriptor verb, IReadOnlyList<(VerbOption Data, Option<string[]> Option)> options) =>
        options.Where(o => o.Data.Required && parsed.GetResult(o.Option) is null)
            .Select(o => $"--{o.Data.Name}: required by '{verb.Name}': {Form(o.Data)}");

    /// <summary>An option as written in the usage text: <c>--problem FILE.json</c>, or <c>--resume</c> for a flag.</summary>
    public static string Form(VerbOption option) => option.IsFlag ? $"--{option.Name}" : $"--{option.Name} {option.Value}";

    /// <summary>
    /// The System.CommandLine option of a <see cref="VerbOption"/>: at most one value per occurrence (none for a
    /// flag, or true/false) and one occurrence, validated here rather than by arity so that the message names the option and its form.
    /// </summary>
    private static Option<string[]> OptionOf(VerbOption data)
    {
        var option = new Option<string[]>("--" + data.Name)
        {
            Description = data.Description + (data.Required ? " (required)" : ""),
            HelpName = data.Value,
            // Each occurrence takes at most one value; a repeated option reaches the validator, which names it.
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        option.Validators.Add(result =>
        {
            string? value = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            if (result.IdentifierTokenCount > 1)
                result.AddError($"--{data.Name}: given twice");
            else if (!data.IsFlag && string.IsNullOrWhiteSpace(value))
                result.AddError($"--{data.Name}: needs a value: {Form(data)}");
            else if (data.IsFlag && value is not null and not ("true" or "false"))
                result.AddError($"--{data.Name}: is a flag and takes no value, got {Composition.Echo.Quote(value)}");
            else if (value is not null && data.Check?.Invoke(value) is { } problem)
                result.AddError(problem);
        });
        return option;
    }

    /// <summary>
    /// The action of the help option: the catalog's usage text, of every verb for <c>robustnode --help</c>, of one
    /// verb for <c>robustnode solve --help</c>. Like System.CommandLine's own help, it wins over parse errors.
    /// </summary>
    public sealed class Usage(VerbCatalog catalog) : SynchronousCommandLineAction
    {
        /// <inheritdoc/>
        public override bool ClearsParseErrors => true;

        /// <inheritdoc/>
        public override int Invoke(ParseResult parseResult)
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.Write(catalog.Find(parseResult.CommandResult.Command.Name).Match(
                Some: verb => parseResult.CommandResult.Command is RootCommand ? catalog.Usage() : catalog.Usage(verb),
                None: catalog.Usage));
            return 0;
        }
    }
}
