using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.Experiments;
using RobustNode.Host.Runs;

namespace RobustNode.Host.Verbs;

/// <summary>
/// A verb on a saved model (evaluate, attack): <c>--model FILE.ckpt [--experiment NAME]</c> and options of its own.
/// The options are checked before the checkpoint is read, so a mistyped option costs no loading of data; either
/// failing exits with 2. What the verb does with the model is <see cref="Run(SavedModel, TRequest, VerbArguments)"/>.
/// </summary>
/// <typeparam name="TRequest">The verb's own options, checked.</typeparam>
public abstract class CheckpointVerb<TRequest>(string verb, ExperimentCatalog experiments, HostConsole console)
{
    /// <summary>The descriptor of a checkpoint verb: <c>--model</c> (an example path) and <c>--experiment</c>, then its own options.</summary>
    protected static VerbDescriptor Describe(string name, string summary, string exampleModel, string experiment, params VerbOption[] options) =>
        new(name, summary, [
            new VerbOption("model", "FILE.ckpt", $"a saved model, e.g. {exampleModel}", Required: true),
            new VerbOption("experiment", "NAME", experiment),
            .. options]);

    /// <summary>Where the verb reports and writes.</summary>
    protected VerbConsole Console { get; } = new(verb, console);

    public int Run(VerbArguments arguments)
    {
        var modelPath = arguments["model"]!;
        return Request(arguments).Match(
            Fail: problems => Console.Invalid("invalid command line", problems),
            Succ: request => SavedModel.Load(modelPath, experiments, arguments["experiment"]).Match(
                Fail: problems => Console.Invalid($"cannot {verb} '{modelPath}'", problems),
                Succ: saved => Run(saved, request, arguments)));
    }

    /// <summary>The verb's own options, every problem with them at once.</summary>
    protected abstract Validation<Error, TRequest> Request(VerbArguments arguments);

    /// <summary>The verb's work on the loaded model; returns the exit code.</summary>
    protected abstract int Run(SavedModel saved, TRequest request, VerbArguments arguments);
}
