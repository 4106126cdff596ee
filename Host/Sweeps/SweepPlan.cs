using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.Runs;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Sweeps;

/// <summary>
/// One run of a sweep: the experiment at one grid point with one seed, trained by a child <c>robustnode train</c>
/// into <c>&lt;sweep&gt;/[&lt;point&gt;/]seed-&lt;seed&gt;/</c>.
/// </summary>
/// <param name="Point">The grid point.</param>
/// <param name="Seed">The seed.</param>
/// <param name="OutputFolder">The child's <c>Output:Folder</c>: the point's folder.</param>
/// <param name="Name">The child's run name, <c>seed-&lt;seed&gt;</c>.</param>
/// <param name="Settings">What the run sets in the experiment's section (seed keys and grid values), relative keys.</param>
/// <param name="Configuration">The experiment's section the child will report (its <c>configuration</c>), for recognising a finished run.</param>
internal sealed record SweepRun(GridPoint Point, long Seed, string OutputFolder, string Name, IReadOnlyList<KeyValuePair<string, string>> Settings, IReadOnlyDictionary<string, string> Configuration)
{
    /// <summary>The run's folder.</summary>
    public string Folder => Path.Combine(OutputFolder, Name);

    /// <summary>The run for log lines: <c>seed 3</c>, <c>seed 3 (Training:Augmented:Weight=0.1)</c>.</summary>
    public string Label => Point.Settings.Count == 0 ? $"seed {Seed}" : $"seed {Seed} ({Point.Name})";
}

/// <summary>One grid point of a sweep: its validated experiment and its runs, one per seed.</summary>
internal sealed record SweepPointPlan(GridPoint Point, ExperimentSettings Experiment, IReadOnlyList<SweepRun> Runs);

/// <summary>
/// What a sweep runs: an experiment once per seed and grid point, every run's settings checked before anything starts.
/// A seed sets <see cref="SeedSettings"/>: the initialisation (<c>Model:Seed</c>), the order of the mini-batches and
/// the random parts of training (<c>Training:Seed</c>: shuffles, PGD random starts) and the random parts of the
/// evaluation attacks (<c>Evaluation:Pgd:Seed</c>, <c>Evaluation:Apgd:Seed</c>, <c>Evaluation:ApgdDlr:Seed</c>,
/// <c>Evaluation:Square:Seed</c>); the data stay fixed unless the sweep also seeds them
/// (<c>Data:Seed</c>: the point cloud and its split, the image subsets).
/// </summary>
/// <param name="Experiment">The experiment as the sweep was given it.</param>
/// <param name="Seeds">The seeds.</param>
/// <param name="Grid">The grid (one empty point without one).</param>
/// <param name="SeedsData">The seed also sets <c>Data:Seed</c>.</param>
/// <param name="Folder">The sweep's folder, <c>&lt;Output:Folder&gt;/&lt;run&gt;</c>.</param>
/// <param name="Points">Every grid point with its runs.</param>
internal sealed record SweepPlan(ExperimentSettings Experiment, IReadOnlyList<long> Seeds, SweepGrid Grid, bool SeedsData, string Folder, IReadOnlyList<SweepPointPlan> Points)
{
    /// <summary>The settings of an experiment that a seed sets (<c>Data:Seed</c> too with <c>--seed-data</c>).</summary>
    public static IReadOnlyList<string> SeedSettingsOf(bool seedsData) =>
        seedsData ? [.. ModelAndAttackSeeds, "Data:Seed"] : ModelAndAttackSeeds;

    /// <summary>The seeds of the initialisation, of training and of every evaluation attack with random parts.</summary>
    private static readonly string[] ModelAndAttackSeeds =
        ["Model:Seed", "Training:Seed", "Evaluation:Pgd:Seed", "Evaluation:Apgd:Seed", "Evaluation:ApgdDlr:Seed", "Evaluation:Square:Seed"];

    /// <summary>The settings of the experiment that a seed sets.</summary>
    public IReadOnlyList<string> SeedSettings => SeedSettingsOf(SeedsData);

    /// <summary>Every run, point by point, seed by seed.</summary>
    public IEnumerable<SweepRun> Runs => Points.SelectMany(p => p.Runs);

    /// <summary>A setting of the child's configuration that does not change its results, so a finished run is reused whatever it is.</summary>
    public const string ThreadsKey = "Threads";

    /// <summary>
    /// The plan: every grid point's configuration (the sweep's settings with the point's values and a seed's) is
    /// validated as a whole, like the program validates its own at start-up, so that a bad grid key or value is
    /// reported with its key before any run starts.
    /// </summary>
    public static Validation<Error, SweepPlan> Create(IConfiguration configuration, ExperimentSettings experiment, IReadOnlyList<long> seeds, SweepGrid grid,
        bool seedsData, string folder, Func<bool> cudaAvailable)
    {
        var seedKeys = SeedSettingsOf(seedsData);
        var points = grid.Points.Select(point =>
        {
            var pointFolder = point.Settings.Count == 0 ? folder : Path.Combine(folder, point.Folder);
            var runs = seeds.Select(seed =>
            {
                IReadOnlyList<KeyValuePair<string, string>> settings =
                [
                    .. seedKeys.Select(k => new KeyValuePair<string, string>(k, seed.ToString(CultureInfo.InvariantCulture))),
                    .. point.Settings,
                ];
                var child = Child(configuration, experiment.Name, settings);
                return new SweepRun(point, seed, pointFolder, $"seed-{seed}", settings, Comparable(RunSettings.Configuration(child, experiment.Name)));
            }).ToArray();
            var checkedExperiment = HostSettingsValidation.Validate(Child(configuration, experiment.Name, runs[0].Settings), cudaAvailable)
                .Bind(s => s.Experiments.Find(experiment.Name));
            return checkedExperiment.Map(e => new SweepPointPlan(point, e, runs));
        });
        return points.Sequence().Map(list => new SweepPlan(experiment, seeds, grid, seedsData, folder, list.ToArray()));
    }

    /// <summary>The configuration a child run sees: the sweep's with the run's settings of the experiment on top.</summary>
    public static IConfiguration Child(IConfiguration configuration, string experiment, IEnumerable<KeyValuePair<string, string>> settings) =>
        new ConfigurationBuilder()
            .AddConfiguration(configuration)
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"{ExperimentValidation.Section}:{experiment}:{s.Key}", s.Value)))
            .Build();

    /// <summary>An experiment section as key–value pairs without the settings that do not change results (<see cref="ThreadsKey"/>), keys case-insensitive.</summary>
    public static IReadOnlyDictionary<string, string> Comparable(IEnumerable<KeyValuePair<string, string>> section)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in section)
            if (!string.Equals(k, ThreadsKey, StringComparison.OrdinalIgnoreCase)) result[k] = v;
        return result;
    }

    /// <summary>True when a finished run's reported configuration is this run's.</summary>
    public static bool SameConfiguration(SweepRun run, IReadOnlyDictionary<string, string> reported)
    {
        var other = Comparable(reported);
        return other.Count == run.Configuration.Count && run.Configuration.All(kv => other.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }
}
