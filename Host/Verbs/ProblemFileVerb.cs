using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.IO;
using RobustNode.Host.Problems;
using RobustNode.Solvers;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Verbs;

/// <summary>
/// A verb that computes one result from a problem file (solve, sensitivity): <c>--problem FILE.json [--out RESULT.json]</c>.
/// The file is read and checked, its field, x0 and solver are built on the problem's engine (<c>"engine"</c> or
/// <c>Engine:Name</c>; TorchSharp tensors on <c>Torch:Device</c> in <c>Torch:DType</c>), the computation runs without autograd
/// in one scope, and the result is written as JSON (by default <c>&lt;Output:Folder&gt;/&lt;problem&gt;.&lt;verb&gt;.json</c>).
/// Invalid input exits with 2, a failed computation with 3; in both cases no output file is created or overwritten.
/// </summary>
/// <typeparam name="TResult">What the computation yields and the verb writes.</typeparam>
internal abstract class ProblemFileVerb<TResult>(
    string verb, ProblemFileParser parser, SolverRegistry solvers, SolverDefaults defaults, OutputSettings output, TorchRuntime runtime, EngineCatalog engines,
    HostConsole console)
{
    private readonly VerbConsole _console = new(verb, console);

    /// <summary>The descriptor of a problem-file verb: its two options, <c>--out</c> defaulting to the file the verb writes.</summary>
    protected static VerbDescriptor Describe(string name, string summary, string problem) => new(name, summary,
    [
        new VerbOption("problem", "FILE.json", problem, Required: true),
        new VerbOption("out", "RESULT.json", $"the result file (default: <Output:Folder>/<problem>.{name}.json)"),
    ]);

    /// <summary>The device and dtype the problem's tensors live on.</summary>
    protected TorchRuntime Runtime => runtime;

    /// <summary>Runs the verb: reads and checks <c>--problem</c>, computes on the problem's engine and writes the result to <c>--out</c>.</summary>
    /// <returns>The exit code: 0 on success, 2 for invalid input, 3 for a failed computation.</returns>
    public int Run(VerbArguments arguments)
    {
        var problemPath = arguments["problem"]!;
        var outPath = arguments["out"] ?? Path.Combine(output.Folder, $"{Path.GetFileNameWithoutExtension(problemPath)}.{verb}.json");
        return InputFile.ReadText(problemPath).Bind(parser.Parse).Bind(Require).Match(
            Succ: problem => Run(problem, problemPath, outPath),
            Fail: problems => Invalid(problemPath, problems));
    }

    /// <summary>What this verb needs of a problem file beyond what the parser checks (the sensitivity verb: a loss).</summary>
    protected virtual Validation<Error, ProblemFile> Require(ProblemFile problem) => Success<Error, ProblemFile>(problem);

    /// <summary>The computation on the problem's engine, given its field, x0 and solver.</summary>
    protected abstract Fin<TResult> Compute<T>(IEngine<T> engine, ProblemFile problem, ProblemTensors<T> input, OdeSolver solver);

    /// <summary>The computation for an error message: <c>the solve of 'p.json'</c> (… failed: reason).</summary>
    protected abstract string Computation(string problemPath);

    /// <summary>The result file's content.</summary>
    protected abstract byte[] Json(TResult result);

    /// <summary>Logs what was computed and written.</summary>
    protected abstract void Finished(ProblemFile problem, string problemPath, TResult result, string outPath);

    private int Run(ProblemFile problem, string problemPath, string outPath) =>
        solvers.Create(problem.Solver, defaults.MaxSteps, reason => HostErrors.ProblemFile("$.solver", reason)).Match(
            Fail: problems => Invalid(problemPath, problems),
            Succ: solver => engines.Create(problem.Engine, new EngineRequest(runtime.DType, runtime.Device, runtime.Threads))
                .Run(new Job(this, problem, problemPath, outPath, solver)));

    /// <summary>The rest of the verb, on the problem's engine.</summary>
    private sealed record Job(ProblemFileVerb<TResult> Verb, ProblemFile Problem, string ProblemPath, string OutPath, OdeSolver Solver) : IEngineUser<int>
    {
        public int Use<T>(IEngine<T> engine) => Verb.Run(engine, Problem, ProblemPath, OutPath, Solver);
    }

    private int Run<T>(IEngine<T> engine, ProblemFile problem, string problemPath, string outPath, OdeSolver solver)
    {
        // The result may still hold values of this scope, so it is written before the scope ends.
        using var torchScope = NewDisposeScope();
        using var scope = engine.OpenScope();
        using var untracked = engine.Untracked();
        return ProblemTensors.Create(engine, problem, runtime).Match(
            Fail: problems => Invalid(problemPath, problems),
            Succ: input => Compute(engine, problem, input, solver).Match(
                Fail: error => _console.Failed(Computation(problemPath), error),
                Succ: result => _console.Write(outPath, Json(result), () =>
                {
                    Finished(problem, problemPath, result, outPath);
                    return ExitCodes.Success;
                })));
    }

    private int Invalid(string problemPath, Seq<Error> problems) =>
        _console.Invalid($"invalid problem file '{problemPath}'", problems);
}
