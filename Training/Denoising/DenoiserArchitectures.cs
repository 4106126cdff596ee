using LanguageExt;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Denoising;

/// <summary>
/// The denoising architectures by name, each with the parser of its description
/// (<see cref="IDenoiserArchitecture.Describe"/>), so that a checkpoint alone rebuilds its network. A new architecture
/// is one class and one line in <see cref="Parsers"/>.
/// </summary>
internal static class DenoiserArchitectures
{
    private static readonly Dictionary<string, Func<IReadOnlyDictionary<string, string>, Fin<IDenoiserArchitecture>>> Parsers =
        new(StringComparer.OrdinalIgnoreCase)
        {
            [ResidualCnn.ArchitectureName] = entries => ResidualCnn.FromDescription(entries).Map(a => (IDenoiserArchitecture)a),
            [GradientFlowDenoiser.ArchitectureName] = entries => GradientFlowDenoiser.FromDescription(entries).Map(a => (IDenoiserArchitecture)a),
        };

    /// <summary>The known architecture names.</summary>
    public static IReadOnlyList<string> Names => Parsers.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The architecture a description names (entry "architecture"), rebuilt from its entries.</summary>
    public static Fin<IDenoiserArchitecture> FromDescription(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in entries) map[key] = value;
        if (!map.TryGetValue("architecture", out var name))
            return FinFail<IDenoiserArchitecture>(RobustNodeErrors.InvalidArgument("architecture", "the description names no denoiser architecture"));
        return Parsers.TryGetValue(name, out var parse)
            ? parse(map)
            : FinFail<IDenoiserArchitecture>(RobustNodeErrors.InvalidArgument("architecture", $"unknown denoiser architecture '{name}'; known: {string.Join(", ", Names)}"));
    }
}
