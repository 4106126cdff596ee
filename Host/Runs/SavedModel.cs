using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Experiments;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Checkpoints;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Runs;

/// <summary>
/// A trained model read back from a checkpoint file (<c>models/&lt;trainer&gt;.ckpt</c> or a per-epoch checkpoint) for
/// an experiment: the experiment (named, or the one recorded in the checkpoint), its data and the network with the
/// saved parameters. The checkpoint must hold the same network trained on the same data as the experiment describes;
/// its parameters are engine-independent values, so a model trained on one engine is evaluated on any other.
/// </summary>
internal sealed record SavedModel(string Path, ExperimentSettings Experiment, ExperimentData Data, Checkpoint Checkpoint)
{
    /// <summary>The saved network on an engine and device: the experiment's network with the checkpoint's parameters.</summary>
    public Fin<IBlock<T>> Model<T>(IEngine<T> engine, Device device) =>
        ExperimentModel.Build(engine, Experiment.Model, Data.Train, device).Map(template =>
        {
            var like = template.Parameters;
            var values = new T[like.Count];
            for (int i = 0; i < values.Length; i++) values[i] = engine.DetachFromScope(Checkpoint.Parameters[i].ToValue(engine, like[i]));
            return template.WithParameters(values);
        });

    /// <summary>The model's name for titles and tables: its file name without extension (the trainer, for <c>models/&lt;trainer&gt;.ckpt</c>).</summary>
    public string Trainer => System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>Sets libtorch's intra-op threads for an experiment (if they differ).</summary>
    public static void UseThreads(int threads)
    {
        if (TorchSharp.torch.get_num_threads() != threads) TorchSharp.torch.set_num_threads(threads);
    }

    /// <summary>
    /// Reads the checkpoint and checks it against the experiment's network. Errors name the file: unreadable, corrupted, of an unknown
    /// experiment, or not matching the experiment's network or training data (every differing key listed).
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="experiments">The configured experiments.</param>
    /// <param name="experimentName">The experiment to evaluate in, or null for the one recorded in the checkpoint.</param>
    public static Validation<Error, SavedModel> Load(string path, ExperimentCatalog experiments, string? experimentName) =>
        CheckpointFile.Read(path).Bind(checkpoint =>
        {
            var recorded = Entry(checkpoint.Fingerprint, "experiment");
            var experiment = experimentName is not null
                ? experiments.Find(experimentName)
                : recorded is null
                    ? experiments.Find(ExperimentCatalog.DefaultExperiment)
                    : experiments.Find(recorded).MapFail(_ => HostErrors.File(path,
                        $"the model was trained in experiment '{recorded}', which the configuration does not define; name one with --experiment (known: {string.Join(", ", experiments.Names)})"));
            return experiment.Bind(e => SameKind(path, checkpoint, e)).Bind(e =>
            {
                UseThreads(e.Threads);
                return ExperimentData.Load(e.Data, e.Model)
                    .Bind(data => ExperimentModel.Build(e.Model, data.Train).ToValidation()
                        .Bind(template => Matching(path, checkpoint, e, data, template)
                            .Map(_ => new SavedModel(path, e, data, checkpoint))));
            });
        });

    /// <summary>
    /// The network kinds agree (a point-cloud model is not evaluated on images, nor the reverse) — checked from the
    /// fingerprint before any data is loaded, so the mismatch costs nothing.
    /// </summary>
    private static Validation<Error, ExperimentSettings> SameKind(string path, Checkpoint checkpoint, ExperimentSettings experiment)
    {
        var model = Entry(checkpoint.Fingerprint, "model");
        string Kind(string description) => description.Split('(')[0];
        string expected = experiment.Model switch
        {
            ImageModelSettings { Model.GradientFlow: not null } => "conv-gradient-flow",
            ImageModelSettings => "conv-ode",
            PointCloudModelSettings { Model.GradientFlow: not null } => "point-cloud-gradient-flow",
            _ => "point-cloud-node",
        };
        return model is null || Kind(model) == expected
            ? Success<Error, ExperimentSettings>(experiment)
            : Fail<Error, ExperimentSettings>(HostErrors.File(path,
                $"checkpoint does not match experiment '{experiment.Name}': the model is a {Kind(model)} network, the experiment's a {expected} network (of {(experiment.IsPlanar ? "point clouds" : "images")})"));
    }

    private static Validation<Error, Unit> Matching(string path, Checkpoint checkpoint, ExperimentSettings experiment, ExperimentData data, IBlock<Tensor> template)
    {
        var expected = new Dictionary<string, string>
        {
            ["model"] = ExperimentModel.Describe(experiment.Model, data.Train),
            ["data"] = data.Train.Name,
        };
        var problems = expected
            .Where(kv => Entry(checkpoint.Fingerprint, kv.Key) != kv.Value)
            .Select(kv => HostErrors.File(path,
                $"checkpoint does not match experiment '{experiment.Name}': {kv.Key}: '{Entry(checkpoint.Fingerprint, kv.Key) ?? "(absent)"}' in the checkpoint vs '{kv.Value}' in the experiment"))
            .ToList();
        var parameters = template.Parameters;
        if (problems.Count == 0 && checkpoint.Parameters.Count != parameters.Count)
            problems.Add(HostErrors.File(path, $"checkpoint does not match the model: it holds {checkpoint.Parameters.Count} parameters, the model has {parameters.Count}"));
        if (problems.Count == 0)
            for (int i = 0; i < parameters.Count; i++)
                if (!checkpoint.Parameters[i].Shape.SequenceEqual(parameters[i].shape) || checkpoint.Parameters[i].DType != parameters[i].dtype)
                    problems.Add(HostErrors.File(path,
                        $"checkpoint does not match the model: parameter {i} is {checkpoint.Parameters[i].DType} [{string.Join(", ", checkpoint.Parameters[i].Shape)}], the model expects {parameters[i].dtype} [{string.Join(", ", parameters[i].shape)}]"));
        return problems.Count > 0 ? Fail<Error, Unit>(Seq(problems)) : Success<Error, Unit>(unit);
    }

    private static string? Entry(ConfigurationFingerprint fingerprint, string key) =>
        fingerprint.Entries.Where(e => e.Key == key).Select(e => e.Value).FirstOrDefault();
}
