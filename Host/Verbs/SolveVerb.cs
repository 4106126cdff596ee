using System.Diagnostics;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.IO;
using RobustNode.Host.Problems;
using RobustNode.Solvers;
using static TorchSharp.torch;

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode solve --problem FILE.json [--out RESULT.json]</c>: integrates the problem file's field from its x0
/// with its solver and writes the final states and the work done (<see cref="SolveResult"/>). Invalid input
/// exits with 2, a failed solve with 3; in both cases no output file is created or overwritten.
/// </summary>
public sealed class SolveVerb(
    ProblemFileParser parser,
    SolverRegistry solvers,
    SolverDefaults defaults,
    OutputSettings output,
    TorchRuntime runtime,
    HostConsole console,
    ILogger<SolveVerb> log) : IVerb
{
    public static VerbDescriptor Descriptor { get; } = new("solve", "integrate a problem file and write the final states",
    [
        new VerbOption("problem", "FILE.json", "the problem file", Required: true),
        new VerbOption("out", "RESULT.json", "the result file (default: <Output:Folder>/<problem>.solve.json)"),
    ]);

    public int Run(VerbArguments arguments)
    {
        var problemPath = arguments["problem"]!;
        var outPath = arguments["out"] ?? Path.Combine(output.Folder, Path.GetFileNameWithoutExtension(problemPath) + ".solve.json");
        return InputFile.ReadText(problemPath).Bind(parser.Parse).Match(
            Succ: problem => Solve(problem, problemPath, outPath),
            Fail: problems => Invalid(problemPath, problems));
    }

    private int Invalid(string problemPath, Seq<Error> problems)
    {
        console.Report($"robustnode solve: invalid problem file '{problemPath}'", problems);
        return ExitCodes.InvalidInput;
    }

    private int Solve(ProblemFile problem, string problemPath, string outPath)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return (ProblemTensors.Create(problem, runtime),
                solvers.Create(problem.Solver, defaults.MaxSteps, reason => HostErrors.ProblemFile("$.solver", reason)))
            .Apply((input, solver) => (input, solver))
            .Match(
                Fail: problems => Invalid(problemPath, problems),
                Succ: setup =>
                {
                    var clock = Stopwatch.StartNew();
                    var solution = Ode.Solve(setup.input.Field, setup.input.X0, setup.solver);
                    clock.Stop();
                    return solution.Match(
                        Succ: s => Write(problem, problemPath, outPath,
                            new SolveResult(ProblemTensors.Matrix(s.Final), s.Statistics, clock.Elapsed.TotalMilliseconds)),
                        Fail: error =>
                        {
                            console.Error.WriteLine($"robustnode solve: the solve of '{problemPath}' failed: {error.Message}");
                            return ExitCodes.ComputationFailed;
                        });
                });
    }

    private int Write(ProblemFile problem, string problemPath, string outPath, SolveResult result)
    {
        try
        {
            AtomicFile.WriteAllBytes(outPath, result.ToJson());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine($"robustnode solve: cannot write '{outPath}': {ex.Message}");
            return ExitCodes.InvalidInput;
        }
        var stats = result.Statistics;
        log.LogInformation("Solved {Problem} ({Field}, d = {Dim}, N = {Steps}, B = {Batch}) with {Solver}: {Accepted} accepted and {Rejected} rejected steps, {Evaluations} evaluations in {Milliseconds:F1} ms; wrote {Out}",
            problemPath, problem.Field.Name, problem.Dim, problem.Steps, problem.Batch, DescribeSolver(problem.Solver),
            stats.AcceptedSteps, stats.RejectedSteps, stats.FunctionEvaluations, result.WallTimeMs, outPath);
        return ExitCodes.Success;
    }

    private static string DescribeSolver(SolverChoice s) => s.Adaptive
        ? $"{s.Name} (adaptive, rtol = {s.RelativeTolerance:G3}, atol = {s.AbsoluteTolerance:G3})"
        : $"{s.Name} ({s.StepsPerLayer} step{(s.StepsPerLayer == 1 ? "" : "s")} per layer)";
}
