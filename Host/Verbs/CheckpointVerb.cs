using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.Runs;
using RobustNode.Sensitivity.Networks;
using static TorchSharp.torch;

namespace RobustNode.Host.Verbs;

/// <summary>
/// A verb on a saved model (evaluate, attack): <c>--model FILE.ckpt [--experiment NAME]</c> and options of its own.
/// The options are checked before the checkpoint is read, so a mistyped option costs no loading of data; either
/// failing exits with 2. The model and the experiment's data are then placed on the configured device (<c>Torch:Device</c>)
/// and the experiment's engine, and the verb works with them (<see cref="Run{T}"/>).
/// </summary>
/// <typeparam name="TRequest">The verb's own options, checked.</typeparam>
internal abstract class CheckpointVerb<TRequest>(string verb, ExperimentCatalog experiments, TorchRuntime runtime, EngineCatalog engines, HostConsole console)
{
    /// <summary>The descriptor of a checkpoint verb: <c>--model</c> (an example path) and <c>--experiment</c>, then its own options.</summary>
    protected static VerbDescriptor Describe(string name, string summary, string exampleModel, string experiment, params VerbOption[] options) =>
        new(name, summary, [
            new VerbOption("model", "FILE.ckpt", $"a saved model, e.g. {exampleModel}", Required: true),
            new VerbOption("experiment", "NAME", experiment),
            .. options]);

    /// <summary>The configured device, where the model and the data are placed.</summary>
    protected Device Device => runtime.Device;

    /// <summary>Where the verb reports and writes.</summary>
    protected VerbConsole Console { get; } = new(verb, console);

    /// <summary>Runs the verb: checks its options, loads <c>--model</c> for <c>--experiment</c>, places model and data on the configured device and runs the verb on the experiment's engine.</summary>
    /// <returns>The exit code: 0 on success, 2 for invalid input, 3 for a failed computation.</returns>
    public int Run(VerbArguments arguments)
    {
        var modelPath = arguments["model"]!;
        return Request(arguments).Match(
            Fail: problems => Console.Invalid("invalid command line", problems),
            Succ: request => SavedModel.Load(modelPath, experiments, arguments["experiment"]).Match(
                Fail: problems => Console.Invalid($"cannot {verb} '{modelPath}'", problems),
                Succ: saved =>
                {
                    var placed = saved with { Data = saved.Data.On(runtime.Device) };
                    var model = saved.Experiment.Model;
                    var engine = engines.Create(model.Engine, new EngineRequest(ExperimentModel.DType(model), runtime.Device, saved.Experiment.Threads));
                    return engine.Run(new Placed(this, placed, request, arguments));
                }));
    }

    /// <summary>The verb's own options, every problem with them at once.</summary>
    protected abstract Validation<Error, TRequest> Request(VerbArguments arguments);

    /// <summary>The verb's work on the loaded model, on the experiment's engine; returns the exit code.</summary>
    protected abstract int Run<T>(IEngine<T> engine, IBlock<T> model, SavedModel saved, TRequest request, VerbArguments arguments);

    /// <summary>The saved model on the engine and device, handed to the verb.</summary>
    private sealed record Placed(CheckpointVerb<TRequest> Verb, SavedModel Saved, TRequest Request, VerbArguments Arguments) : IEngineUser<int>
    {
        public int Use<T>(IEngine<T> engine) => Saved.Model(engine, Verb.Device).Match(
            Succ: model => Verb.Run(engine, model, Saved, Request, Arguments),
            Fail: error => Verb.Console.Failed($"rebuilding '{Saved.Path}' on the {engine.Name} engine", error));
    }
}
