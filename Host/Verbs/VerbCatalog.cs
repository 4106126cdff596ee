using System.Text;
using LanguageExt;
using Microsoft.Extensions.DependencyInjection;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Verbs;

/// <summary>
/// The verbs by name. Adding a verb is one class implementing <see cref="IVerb"/> and one
/// <see cref="Add{TVerb}"/>; the catalog registers each as a keyed DI service under its name and writes the usage text.
/// </summary>
internal sealed class VerbCatalog
{
    /// <summary>The verb run when none is given (once it is registered).</summary>
    public const string DefaultVerb = "train";

    private readonly List<(VerbDescriptor Descriptor, Type Type)> _verbs = [];

    /// <summary>Adds a verb.</summary>
    public VerbCatalog Add<TVerb>() where TVerb : class, IVerb
    {
        if (_verbs.Any(v => v.Descriptor.Name == TVerb.Descriptor.Name))
            throw new InvalidOperationException($"two verbs are named '{TVerb.Descriptor.Name}'");
        _verbs.Add((TVerb.Descriptor, typeof(TVerb)));
        return this;
    }

    /// <summary>Every verb's descriptor, in registration order.</summary>
    public IEnumerable<VerbDescriptor> Descriptors => _verbs.Select(v => v.Descriptor);

    /// <summary>The verb of that name.</summary>
    public Option<VerbDescriptor> Find(string name) =>
        _verbs.Where(v => v.Descriptor.Name == name).Select(v => v.Descriptor).HeadOrNone();

    /// <summary>Registers every verb as a transient keyed service of type <see cref="IVerb"/>.</summary>
    public IServiceCollection Register(IServiceCollection services)
    {
        foreach (var (descriptor, type) in _verbs) services.AddKeyedTransient(typeof(IVerb), descriptor.Name, type);
        return services;
    }

    /// <summary>Constructs the verb of that name.</summary>
    public static IVerb Resolve(IServiceProvider services, string name) =>
        (IVerb)services.GetRequiredKeyedService(typeof(IVerb), name);

    /// <summary>The usage text of every verb.</summary>
    public string Usage() => Usage(Descriptors.ToArray(), "<verb>");

    /// <summary>The usage text of one verb (<c>robustnode solve --help</c>).</summary>
    public string Usage(VerbDescriptor verb) => Usage([verb], verb.Name);

    private string Usage(IReadOnlyList<VerbDescriptor> verbs, string verbWord)
    {
        var text = new StringBuilder();
        text.AppendLine("robustnode — neural ODEs robust to adversarial attacks");
        text.AppendLine();
        text.AppendLine($"usage: robustnode {verbWord} [options] [--config FILE.json] [--Section:Key=value ...]");
        text.AppendLine();
        text.AppendLine(verbs.Count == 1 ? "verb:" : "verbs:");
        static string Form(VerbOption o) => VerbCommandTree.Form(o);
        // Columns as wide as the longest verb and option need, at least 12 and 24 characters.
        int verbWidth = Math.Max(12, Descriptors.Select(v => v.Name.Length + 2).DefaultIfEmpty(0).Max());
        int optionWidth = Math.Max(24, Descriptors.SelectMany(v => v.Options).Select(o => Form(o).Length + 2).DefaultIfEmpty(0).Max());
        foreach (var verb in verbs)
        {
            text.AppendLine($"  {verb.Name.PadRight(verbWidth)}{verb.Summary}");
            foreach (var option in verb.Options)
                text.AppendLine($"      {Form(option).PadRight(optionWidth)}{option.Description}{(option.Required ? " (required)" : "")}");
        }
        text.AppendLine();
        text.AppendLine(Find(DefaultVerb).IsSome
            ? $"Without a verb, robustnode runs '{DefaultVerb}'."
            : $"Without a verb, robustnode will run '{DefaultVerb}' once that verb exists; for now it prints this text.");
        text.AppendLine("Settings come from the appsettings.json next to the binary, then the file of --config FILE (any verb),");
        text.AppendLine("then environment variables ROBUSTNODE_Section__Key=value, then --Section:Key=value on the command line");
        text.AppendLine("(later wins). An appsettings.json in the working folder is not read; name your own file with --config.");
        text.AppendLine("Exit codes: 0 done, 1 internal error, 2 invalid command line, settings or input, 3 computation failed.");
        return text.ToString();
    }
}
