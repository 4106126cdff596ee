using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Verbs;

/// <summary>
/// The command line split into its parts: <c>robustnode [verb] [--option value | --option=value]…</c>, where an
/// option whose name holds a colon (<c>--Solver:Name=dopri5</c>, <c>--Torch:Device cpu</c>) is a configuration
/// override and every other option belongs to the verb.
/// </summary>
/// <param name="Verb">The verb, or null when none was given.</param>
/// <param name="Help">--help, -h or the word help was given.</param>
/// <param name="Overrides">Configuration overrides in the form <c>--Section:Key=value</c>.</param>
/// <param name="Options">The verb's options in order, a null value where none followed.</param>
/// <param name="ConfigFile">The user's settings file of <c>--config FILE</c> (read after the shipped appsettings.json), or null.</param>
public sealed record CommandLine(string? Verb, bool Help, IReadOnlyList<string> Overrides, IReadOnlyList<(string Name, string? Value)> Options, string? ConfigFile = null)
{
    /// <summary>The option, valid for every verb, that names the user's settings file.</summary>
    public const string ConfigOption = "config";

    /// <summary>Splits the arguments; fails on stray words and on overrides without a value.</summary>
    public static Validation<Error, CommandLine> Parse(IReadOnlyList<string> args)
    {
        string? verb = null, config = null;
        bool help = false;
        var overrides = new List<string>();
        var options = new List<(string, string?)>();
        var errors = new List<Error>();
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help" or "-?") { help = true; continue; }
            if (i == 0 && arg == "help") { help = true; continue; }
            if (i == 0 && !arg.StartsWith('-')) { verb = arg; continue; }
            if (!arg.StartsWith("--") || arg.Length == 2)
            {
                errors.Add(HostErrors.CommandLine(Echo.Clip(arg), "unexpected argument; options are written --name value"));
                continue;
            }
            var body = arg[2..];
            int eq = body.IndexOf('=');
            string name = eq >= 0 ? body[..eq] : body;
            string? value = eq >= 0 ? body[(eq + 1)..] : null;
            if (value is null && i + 1 < args.Count && !args[i + 1].StartsWith("--")) value = args[++i];
            if (name == ConfigOption)
            {
                if (string.IsNullOrWhiteSpace(value)) errors.Add(HostErrors.CommandLine("--config", "needs a value: --config FILE.json"));
                else if (config is not null) errors.Add(HostErrors.CommandLine("--config", "given twice"));
                else config = value;
            }
            else if (name.Contains(':'))
            {
                if (value is null) errors.Add(HostErrors.CommandLine(Echo.Clip(arg), "a configuration override needs a value: --Section:Key=value"));
                else overrides.Add($"--{name}={value}");
            }
            else options.Add((name, value));
        }
        return errors.Count > 0
            ? Fail<Error, CommandLine>(Seq(errors))
            : Success<Error, CommandLine>(new CommandLine(verb, help, overrides, options, config));
    }

    /// <summary>The verb's options checked against its descriptor: known names, values where needed, required ones present.</summary>
    public Validation<Error, VerbArguments> ArgumentsFor(VerbDescriptor verb)
    {
        var errors = new List<Error>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Options)
        {
            var option = verb.Options.FirstOrDefault(o => o.Name == name);
            if (option is null)
                errors.Add(HostErrors.CommandLine(Echo.Clip($"--{name}"), $"unknown option of '{verb.Name}'; known: {string.Join(", ", verb.Options.Select(o => "--" + o.Name))}"));
            else if (!option.IsFlag && string.IsNullOrWhiteSpace(value))
                errors.Add(HostErrors.CommandLine($"--{name}", $"needs a value: --{name} {option.Value}"));
            else if (option.IsFlag && value is not null && value is not ("true" or "false"))
                errors.Add(HostErrors.CommandLine($"--{name}", $"is a flag and takes no value, got {Echo.Quote(value)}"));
            else if (!values.TryAdd(name, value ?? "true"))
                errors.Add(HostErrors.CommandLine($"--{name}", "given twice"));
        }
        var given = Options.Select(o => o.Name).ToHashSet();
        foreach (var option in verb.Options.Where(o => o.Required && !given.Contains(o.Name)))
            errors.Add(HostErrors.CommandLine($"--{option.Name}", $"required by '{verb.Name}': --{option.Name} {option.Value}"));
        return errors.Count > 0
            ? Fail<Error, VerbArguments>(Seq(errors))
            : Success<Error, VerbArguments>(new VerbArguments(values));
    }
}
