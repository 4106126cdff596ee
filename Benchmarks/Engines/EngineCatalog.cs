using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace RobustNode.Benchmarks.Engines;

/// <summary>
/// The engines the benchmarks know, by name. A new engine is one line in <see cref="All"/>: its name, a description
/// and the function that moves a benchmark problem onto it; until that function exists, the line names the engine
/// with the reason it cannot be measured, so <c>--engine torch,managed</c> is accepted and reports it.
/// </summary>
internal static class EngineCatalog
{
    public const string Torch = "torch";
    public const string Managed = "managed";

    public static IReadOnlyList<BenchmarkEngine> All { get; } =
    [
        new(Torch, "TorchSharp tensors (libtorch 2.10): every product of a sweep is one libtorch call", problem => problem),
        new(Managed, "fused managed SIMD kernels over float arrays (System.Numerics.Tensors)", null,
            Unavailable: "the managed engine is not built yet; its rows appear once its line in Benchmarks/Engines/EngineCatalog.cs moves problems onto it"),
    ];

    public static BenchmarkEngine Default => All[0];

    /// <summary>
    /// Parses a comma-separated list of engine names (case-insensitive, duplicates dropped, order kept). Unknown names
    /// are errors naming the known ones; known but unavailable engines are kept, for the caller to report.
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

    public static BenchmarkEngine? Find(string name) => All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
}
