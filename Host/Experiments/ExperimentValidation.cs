using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Host.Configuration;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Experiments;

/// <summary>
/// Validates every <c>Experiments:&lt;name&gt;</c> section at start-up into <see cref="ExperimentSettings"/>, reporting
/// every problem of every experiment at once, each naming its key
/// (<c>Experiments:moons:Training:Epochs: must be at least 1, got 0</c>). An experiment has <c>Threads</c>,
/// <c>Data</c>, <c>Model</c>, <c>Training</c> and <c>Evaluation</c>; every key has a default, so an empty section is
/// the default moons job. The data kind (<c>Data:Kind</c>) decides which model and evaluation keys apply.
/// </summary>
internal static class ExperimentValidation
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Experiments";

    /// <summary>
    /// Reads every experiment; solver names are resolved in <paramref name="solvers"/>, engine names (<c>Model:Engine</c>,
    /// default <paramref name="engine"/>, the <c>Engine:Name</c> setting) in <paramref name="engines"/>.
    /// </summary>
    public static Validation<Error, ExperimentCatalog> Read(IConfigurationSection section, SolverRegistry solvers, SolverDefaults defaults, int torchThreads,
        EngineCatalog engines, string engine) =>
        section.GetChildren().Select(e => ReadExperiment(e, solvers, defaults, torchThreads, engines, engine)).Sequence().Map(list => new ExperimentCatalog(list));

    private static Validation<Error, ExperimentSettings> ReadExperiment(IConfigurationSection experiment, SolverRegistry solvers, SolverDefaults defaults, int torchThreads,
        EngineCatalog engines, string engine)
    {
        var keys = SettingReaders.KnownKeys(experiment, "Threads", "Data", "Model", "Training", "Evaluation");
        var dataSection = experiment.GetSection("Data");
        var kind = DataSettingsReader.Kind(dataSection);
        // With an unreadable kind the other sections are still checked, as point clouds, so that every problem is reported.
        var k = kind.Match(Succ: x => x, Fail: _ => DataKind.PointCloud);
        bool images = k == DataKind.Images;
        var data = images ? DataSettingsReader.Images(dataSection, experiment.Key) : DataSettingsReader.PointCloud(dataSection);
        var modelSection = experiment.GetSection("Model");
        var dense = images ? ModelSettingsReader.DenseImages(modelSection) : Success<Error, bool>(false);
        var model = !images
            ? ModelSettingsReader.PointCloud(modelSection, solvers, defaults, engines, engine)
            : dense.Match(Succ: d => d, Fail: _ => false)
                ? ModelSettingsReader.PointCloud(modelSection, solvers, defaults, engines, engine, ofImages: true)
                : ModelSettingsReader.Images(modelSection, solvers, defaults, engines, engine);
        return (keys, kind, data, dense, model,
                SettingReaders.Integer(experiment, "Threads", images ? torchThreads : 1, 1, HostSettingsValidation.MaxThreads),
                TrainingSettingsReader.Read(experiment.GetSection("Training"), kind.Match(Succ: x => (DataKind?)x, Fail: _ => null)),
                EvaluationSettingsReader.Read(experiment.GetSection("Evaluation"), k))
            .Apply((_, _, d, _, m, threads, t, e) => new ExperimentSettings(experiment.Key, threads, d, m, t, e));
    }
}
