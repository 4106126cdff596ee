using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using Xunit;
using static TorchSharp.torch;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// SciPy's <c>solve_ivp</c> as an outside oracle (skipped where Debian's python3-scipy is missing). Both sides
/// solve the same DETEST problems (checked against tight DOP853 references), and at equal rtol = atol our
/// Dormand–Prince 5(4) needs no more function evaluations than SciPy's RK45 — the same scheme, so this
/// compares step-size control and bookkeeping (initial step, FSAL, rejected steps).
/// </summary>
public sealed class SciPyComparison
{
    private static readonly double[] Tolerances = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9];

    [OracleFact]
    public void Dopri5_needs_no_more_function_evaluations_than_scipy_rk45()
    {
        var answer = SciPyOracle.Solve(from p in Detest.All from tol in Tolerances select (p.Name, "RK45", tol, tol));
        var worse = new List<string>();
        int ours = 0, theirs = 0;
        foreach (var run in answer.Runs)
        {
            using var scope = NewDisposeScope();
            var problem = Detest.Named(run.Problem);
            var solver = new OdeSolver(Builtins.DormandPrince, new PIController(run.RelativeTolerance, run.AbsoluteTolerance));
            int evaluations = Ode.Solve(problem.F, tensor(problem.Y0), 0, problem.FinalTime, solver)
                .Match(s => s.Statistics.FunctionEvaluations, e => throw new InvalidOperationException(e.Message));
            ours += evaluations;
            theirs += run.FunctionEvaluations;
            if (evaluations > run.FunctionEvaluations)
                worse.Add($"{run.Problem} at tol {run.RelativeTolerance:G1}: {evaluations} > {run.FunctionEvaluations}");
        }
        Assert.True(worse.Count == 0, $"dopri5 needed more evaluations than SciPy {answer.Version} RK45 in: {string.Join("; ", worse)}");
        Assert.True(ours <= theirs);
    }

    [OracleFact]
    public void Both_sides_solve_the_same_problems()
    {
        var answer = SciPyOracle.Solve([], Detest.All.Select(p => p.Name));
        foreach (var problem in Detest.All)
        {
            using var scope = NewDisposeScope();
            var reference = answer.References[problem.Name];
            var solver = new OdeSolver(Builtins.Tsitouras, new PIController(1e-10, 1e-10));
            var ours = ConvergenceStudy.FinalOf(Ode.Solve(problem.F, tensor(problem.Y0), 0, problem.FinalTime, solver));
            Assert.True(ConvergenceStudy.MaxError(ours, reference) <= 1e-6, $"{problem.Name}: ours and SciPy's DOP853 differ");
            if (problem.Exact is { } exact)
                Assert.True(reference.Select((r, i) => Math.Abs(r - exact(problem.FinalTime)[i])).Max() <= 1e-9,
                    $"{problem.Name}: SciPy's DOP853 reference misses the closed form");
        }
    }
}
