using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;
using RobustNode.Host.Experiments;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Configuration;

/// <summary>
/// Validates the whole configuration at start-up into <see cref="HostSettings"/>, reporting every problem
/// at once, each naming its key (<c>Solver:Name: unknown solver 'rk5'; known: euler, …</c>).
/// </summary>
internal static class HostSettingsValidation
{
    private static readonly Dictionary<string, DeviceRequest> Devices = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cpu"] = DeviceRequest.Cpu, ["cuda"] = DeviceRequest.Cuda, ["auto"] = DeviceRequest.Auto,
    };

    private static readonly Dictionary<string, ScalarType> DTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["float64"] = ScalarType.Float64, ["float32"] = ScalarType.Float32,
    };

    /// <summary>Default of <c>Torch:Threads</c> (the development machines have two cores).</summary>
    public const int DefaultThreads = 2;

    /// <summary>Most libtorch threads a setting may ask for.</summary>
    public const int MaxThreads = 256;

    /// <summary>Most steps a setting may allow one solve (constant or adaptive).</summary>
    public const int MaxStepsLimit = 100_000_000;

    /// <summary>
    /// The top-level sections of the configuration. Any other top-level key is a misspelling (<c>--Solvr:Name=rk4</c>)
    /// and is refused; a verb that reads a section of its own adds its name here.
    /// </summary>
    public static readonly string[] Sections = ["Torch", "Engine", "Solver", "Output", UserTableaux.Section, ExperimentValidation.Section, Denoising.DenoisingSettingsReader.Section, "Logging"];

    private static readonly Dictionary<string, LogLevel> LogLevels =
        Enum.GetValues<LogLevel>().ToDictionary(l => l.ToString(), l => l, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Validates the configuration; <paramref name="cudaAvailable"/> is asked only when the device is cuda or auto. Engine
    /// names are checked against <paramref name="engines"/> (default: <see cref="CompositionRoot.Engines"/>).
    /// </summary>
    public static Validation<Error, HostSettings> Validate(IConfiguration configuration, Func<bool> cudaAvailable, EngineCatalog? engines = null)
    {
        engines ??= CompositionRoot.Engines;
        var torchSection = configuration.GetSection("Torch");
        var engineSection = configuration.GetSection("Engine");
        var engine = (SettingReaders.KnownKeys(engineSection, "Name"), SettingReaders.Text(engineSection, "Name", EngineCatalog.Auto)
                .Bind(n => engines.Known(n, reason => HostErrors.Configuration("Engine:Name", reason))))
            .Apply((_, n) => new EngineSettings(n));
        var solverSection = configuration.GetSection("Solver");
        var outputSection = configuration.GetSection("Output");

        var sections = TopLevel(configuration);
        var logging = Logging(configuration.GetSection("Logging"));
        var torchKeys = SettingReaders.KnownKeys(torchSection, "Device", "Threads", "DType");
        var device = SettingReaders.Choice(torchSection, "Device", DeviceRequest.Auto, Devices)
            .Bind(request => DeviceSelection.Select(request, cudaAvailable));
        var threads = SettingReaders.Integer(torchSection, "Threads", DefaultThreads, 1, MaxThreads);
        var dtype = SettingReaders.Choice(torchSection, "DType", ScalarType.Float64, DTypes);

        var registry = UserTableaux.Read(configuration.GetSection(UserTableaux.Section)).Map(user => new SolverRegistry(user));
        var solverKeys = SettingReaders.KnownKeys(solverSection, "Name", "StepsPerLayer", "RelativeTolerance", "AbsoluteTolerance", "MaxSteps");
        var name = SettingReaders.Text(solverSection, "Name", "rk4");
        // When a user tableau is invalid the registry reports it; the name is checked against a complete registry only.
        var solverName = name.Bind(n => registry.Match(
            Succ: r => r.Resolve(n, reason => HostErrors.Configuration("Solver:Name", reason)).Map(t => t.Name),
            Fail: _ => Success<Error, string>(n)));
        var solver = (solverKeys, solverName,
                SettingReaders.Integer(solverSection, "StepsPerLayer", 1, 1, MaxStepsLimit),
                SettingReaders.Positive(solverSection, "RelativeTolerance", 1e-6, 1),
                SettingReaders.Positive(solverSection, "AbsoluteTolerance", 1e-8, 1e6),
                SettingReaders.Integer(solverSection, "MaxSteps", 100_000, 1, MaxStepsLimit))
            .Apply((_, n, m, rtol, atol, max) => new SolverDefaults(n, m, rtol, atol, max));

        var output = (SettingReaders.KnownKeys(outputSection, "Folder"), SettingReaders.Text(outputSection, "Folder", "runs"))
            .Apply((_, folder) => new OutputSettings(folder));

        // Experiments are checked against the registry and defaults as far as those are valid (their own problems are reported above).
        var experiments = ExperimentValidation.Read(configuration.GetSection(ExperimentValidation.Section),
            registry.Match(Succ: r => r, Fail: _ => new SolverRegistry([])),
            solver.Match(Succ: s => s, Fail: _ => new SolverDefaults("rk4", 1, 1e-6, 1e-8, 100_000)),
            threads.Match(Succ: n => n, Fail: _ => DefaultThreads),
            engines, engine.Match(Succ: e => e.Name, Fail: _ => EngineCatalog.Auto));

        return ((sections, logging).Apply((_, _) => unit), torchKeys, device, threads, dtype, (solver, output).Apply((s, o) => (s, o)), registry, (experiments, engine).Apply((e, g) => (e, g)))
            .Apply((_, _, d, n, t, so, r, eg) => new HostSettings(new TorchRuntime(d.Device, t, n), d, so.s, so.o, r, eg.e, eg.g));
    }

    /// <summary>Every top-level key is a known section, and a section, not a single value.</summary>
    private static Validation<Error, Unit> TopLevel(IConfiguration configuration)
    {
        var errors = configuration.GetChildren()
            .Select(child => !Sections.Contains(child.Key, StringComparer.OrdinalIgnoreCase)
                ? HostErrors.Configuration(Echo.Clip(child.Key), $"unknown section; known: {string.Join(", ", Sections)}")
                : !string.IsNullOrEmpty(child.Value)
                    ? HostErrors.Configuration(child.Key, $"is a section, not a single value (got {Echo.Quote(child.Value)})")
                    : null)
            .OfType<Error>()
            .ToList();
        return errors.Count == 0 ? Success<Error, Unit>(unit) : Fail<Error, Unit>(Seq(errors));
    }

    /// <summary>The <c>Logging</c> section: <c>LogLevel:&lt;category&gt;</c> levels (Trace … None) and the console logger's own <c>Console</c> options.</summary>
    private static Validation<Error, Unit> Logging(IConfigurationSection logging)
    {
        var levels = logging.GetSection("LogLevel");
        return (SettingReaders.KnownKeys(logging, "LogLevel", "Console"),
                SettingReaders.KnownKeys(levels, levels.GetChildren().Select(c => c.Key).ToArray()),
                levels.GetChildren().Select(c => SettingReaders.Choice(levels, c.Key, LogLevel.Information, LogLevels)).Sequence())
            .Apply((_, _, _) => unit);
    }
}
