namespace RobustNode.Host.Verbs;

/// <summary>The options given to a verb, checked against its <see cref="VerbDescriptor"/>: all required ones present, none unknown.</summary>
internal sealed class VerbArguments(IReadOnlyDictionary<string, string> values)
{
    /// <summary>The value of an option, or null when absent (a given flag has the value "true").</summary>
    public string? this[string name] => values.TryGetValue(name, out var v) ? v : null;

    /// <summary>True when the option was given.</summary>
    public bool Has(string name) => values.ContainsKey(name);
}
