using System.Diagnostics;
using LanguageExt;
using Microsoft.Extensions.Logging;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.IO;
using RobustNode.Host.Problems;
using RobustNode.Solvers;

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode solve --problem FILE.json [--out RESULT.json]</c>: integrates the problem file's field from its x0
/// with its solver and writes the final states and the work done (<see cref="SolveResult"/>).
/// </summary>
internal sealed class SolveVerb(
    ProblemFileParser parser, SolverRegistry solvers, SolverDefaults defaults, OutputSettings output, TorchRuntime runtime, EngineCatalog engines, HostConsole console,
    ILogger<SolveVerb> log)
    : ProblemFileVerb<SolveResult>(Descriptor.Name, parser, solvers, defaults, output, runtime, engines, console), IVerb
{
    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } = Describe("solve", "integrate a problem file and write the final states", "the problem file");

    /// <inheritdoc/>
    protected override Fin<SolveResult> Compute<T>(IEngine<T> engine, ProblemFile problem, ProblemTensors<T> input, OdeSolver solver)
    {
        var clock = Stopwatch.StartNew();
        var solution = Ode.Solve(input.Field, input.X0, solver);
        clock.Stop();
        return solution.Map(s => new SolveResult(ProblemTensors.Matrix(engine.ToTensor(s.Final)), s.Statistics, clock.Elapsed.TotalMilliseconds, engine.Name));
    }

    /// <inheritdoc/>
    protected override string Computation(string problemPath) => $"the solve of '{problemPath}'";

    /// <inheritdoc/>
    protected override byte[] Json(SolveResult result) => result.ToJson();

    /// <inheritdoc/>
    protected override void Finished(ProblemFile problem, string problemPath, SolveResult result, string outPath)
    {
        var stats = result.Statistics;
        log.LogInformation("Solved {Problem} ({Field}, d = {Dim}, N = {Steps}, B = {Batch}) with {Solver} on the {Engine} engine: {Accepted} accepted and {Rejected} rejected steps, {Evaluations} evaluations in {Milliseconds:F1} ms; wrote {Out}",
            problemPath, problem.Field.Name, problem.Dim, problem.Steps, problem.Batch, DescribeSolver(problem.Solver), result.Engine,
            stats.AcceptedSteps, stats.RejectedSteps, stats.FunctionEvaluations, result.WallTimeMs, outPath);
    }

    private static string DescribeSolver(SolverChoice s) => s.Adaptive
        ? $"{s.Name} (adaptive, rtol = {s.RelativeTolerance:G3}, atol = {s.AbsoluteTolerance:G3})"
        : $"{s.Name} ({s.StepsPerLayer} step{(s.StepsPerLayer == 1 ? "" : "s")} per layer)";
}
