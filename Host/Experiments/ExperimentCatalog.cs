using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Experiments;

/// <summary>The validated experiments of the <c>Experiments</c> section, by name (case-insensitive). A DI singleton.</summary>
internal sealed class ExperimentCatalog
{
    /// <summary>The experiment <c>train</c> runs when none is named.</summary>
    public const string DefaultExperiment = "moons";

    private readonly Dictionary<string, ExperimentSettings> _experiments;

    /// <summary>A catalog of the given experiments, keyed by name (case-insensitive; a later experiment of the same name replaces an earlier one).</summary>
    /// <param name="experiments">The validated experiments.</param>
    public ExperimentCatalog(IEnumerable<ExperimentSettings> experiments)
    {
        _experiments = new Dictionary<string, ExperimentSettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in experiments) _experiments[e.Name] = e;
        Names = _experiments.Keys.ToArray();
    }

    /// <summary>Every experiment's name (in the configuration's order, which sorts keys).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The experiment of that name, or an error listing the known ones under the given option name.</summary>
    public Validation<Error, ExperimentSettings> Find(string name, string option = "--experiment") =>
        _experiments.TryGetValue(name, out var e)
            ? Success<Error, ExperimentSettings>(e)
            : Fail<Error, ExperimentSettings>(HostErrors.CommandLine(option,
                Names.Count == 0
                    ? $"unknown experiment '{name}': the Experiments section of appsettings.json is empty"
                    : $"unknown experiment '{name}'; known: {string.Join(", ", Names)} (sections Experiments:<name> of appsettings.json)"));
}
