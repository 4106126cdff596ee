using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Benchmarks.Engines;

/// <summary>
/// The engines the benchmarks measure: exactly those registered in the host's engine catalog
/// (<see cref="CompositionRoot.Engines"/>), by the same names, so that the benchmarks and <c>robustnode</c> cannot
/// disagree about which engines exist or which have convolutions. This class only parses <c>--engine</c> lists and
/// describes the engines for the reports.
/// </summary>
internal static class EngineCatalog
{
    public const string Torch = "torch";
    public const string Managed = Host.Configuration.EngineCatalog.Managed;

    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.OrdinalIgnoreCase)
    {
        [Torch] = "TorchSharp tensors (libtorch 2.10): every product of a sweep is one libtorch call",
        [Managed] = "the managed engine (`ManagedEngine<float|double>`): SIMD kernels over .NET arrays, no libtorch call in a sweep",
    };

    /// <summary>Every registered engine, in the host catalog's order.</summary>
    public static IReadOnlyList<BenchmarkEngine> All =>
        CompositionRoot.Engines.Names.Select(n => new BenchmarkEngine(n, Descriptions.GetValueOrDefault(n, "registered in the host's engine catalog"))).ToArray();

    public static BenchmarkEngine Default => Find(Torch) ?? All[0];

    /// <summary>
    /// Parses a comma-separated list of engine names (case-insensitive, duplicates dropped, order kept). Unknown names
    /// (and <c>auto</c>, which the benchmarks do not resolve: they name what they measure) are errors naming the known ones.
    /// </summary>
    public static Fin<IReadOnlyList<BenchmarkEngine>> Parse(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) return FinFail<IReadOnlyList<BenchmarkEngine>>(Error.New($"--engine: expected a list such as {Torch},{Managed}, got '{list}'"));
        var unknown = names.Where(n => Find(n) is null).ToArray();
        if (unknown.Length > 0)
            return FinFail<IReadOnlyList<BenchmarkEngine>>(Error.New(
                $"--engine: unknown engine{(unknown.Length > 1 ? "s" : "")} {string.Join(", ", unknown.Select(n => $"'{n}'"))}; known: {string.Join(", ", All.Select(e => e.Name))}"));
        return FinSucc<IReadOnlyList<BenchmarkEngine>>(names.Select(n => Find(n)!).Distinct().ToArray());
    }

    /// <summary>
    /// Checks that every engine of a list can run a convolutional network (the host catalog's rule), for the image
    /// benchmarks: an error naming the engines that cannot and the ones that can.
    /// </summary>
    public static Fin<Unit> Convolutional(IEnumerable<BenchmarkEngine> engines, string benchmark)
    {
        bool Convolutions(BenchmarkEngine e) => CompositionRoot.Engines.Resolve(e.Name, convolutional: true, m => Error.New(m)).IsSuccess;
        var refused = engines.Where(e => !Convolutions(e)).Select(e => e.Name).ToArray();
        var able = All.Where(Convolutions).Select(e => e.Name).ToArray();
        return refused.Length == 0
            ? FinSucc(unit)
            : FinFail<Unit>(Error.New($"--engine: {benchmark} measures a convolutional network, which only {string.Join(", ", able)} can run: " +
                                      $"{string.Join(", ", refused)} {(refused.Length > 1 ? "have" : "has")} no convolutions; use --engine {string.Join(",", able)}"));
    }

    public static BenchmarkEngine? Find(string name) => All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
}
