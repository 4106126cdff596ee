using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using Xunit;
using static TorchSharp.torch;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// SciPy's <c>solve_ivp</c> as an outside oracle (skipped where Debian's python3-scipy is missing). At equal
/// rtol = atol our Dormand–Prince 5(4) needs no more function evaluations than SciPy's RK45 — the same scheme, so
/// this compares step-size control and bookkeeping (initial step, FSAL, rejected steps) — and at each tolerance
/// dopri5 and tsit5 reach the accuracy RK45 reaches.
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
    public void The_scipy_references_agree_with_the_closed_forms()
    {
        var answer = SciPyOracle.Solve([], Detest.WithExactSolution.Select(p => p.Name));
        foreach (var problem in Detest.WithExactSolution)
            Assert.True(answer.References[problem.Name].Select((r, i) => Math.Abs(r - problem.Exact!(problem.FinalTime)[i])).Max() <= 1e-9,
                $"{problem.Name}: SciPy's DOP853 reference misses the closed form");
    }

    /// <summary>
    /// Accuracy against SciPy at each tolerance: on every DETEST problem and at every rtol = atol from 10⁻³ to 10⁻¹⁰,
    /// the final-state error (against the closed form, or SciPy's DOP853 at 10⁻¹³) of our dopri5 equals that of SciPy's
    /// RK45 (the same scheme and the same control), and our tsit5's is within a factor 25 of RK45's at the same
    /// tolerance — about one decade, since global errors of two different schemes cancel differently (RK45's error on A3
    /// is smaller at 10⁻⁵ than at 10⁻⁶) — and no larger in the median. Global errors are not bounded by the tolerance
    /// (it controls local errors), so the yardstick is the reference implementation at the same tolerance.
    /// </summary>
    [OracleFact]
    public void Dopri5_and_tsit5_are_as_accurate_as_scipy_rk45_at_every_tolerance()
    {
        double[] tolerances = [.. Tolerances, 1e-10];
        var answer = SciPyOracle.Solve(from p in Detest.All from tol in tolerances select (p.Name, "RK45", tol, tol), Detest.All.Select(p => p.Name));
        var worse = new List<string>();
        var ratios = new List<double>();
        foreach (var run in answer.Runs)
        {
            var problem = Detest.Named(run.Problem);
            var reference = problem.Exact is { } exact ? exact(problem.FinalTime) : answer.References[problem.Name];
            double tol = run.RelativeTolerance;
            double theirs = run.Final.Select((v, i) => Math.Abs(v - reference[i])).Max();
            double dopri5 = Error(problem, new OdeSolver(Builtins.DormandPrince, new PIController(tol, tol)), reference);
            double tsit5 = Error(problem, new OdeSolver(Builtins.Tsitouras, new PIController(tol, tol)), reference);
            // Below 1e-12 the errors are rounding (|y| ≤ 20 over 20 time units); the reference itself is good to about that.
            double floor = 1e-12;
            if (Math.Abs(dopri5 - theirs) > 0.01 * theirs + floor)
                worse.Add($"dopri5 on {run.Problem} at tol {tol:G1}: error {dopri5:E2}, RK45's {theirs:E2}");
            if (tsit5 > 25 * theirs + floor)
                worse.Add($"tsit5 on {run.Problem} at tol {tol:G1}: error {tsit5:E2} > 25 × RK45's {theirs:E2}");
            ratios.Add((tsit5 + floor) / (theirs + floor));
        }
        Assert.True(worse.Count == 0, $"less accurate than SciPy {answer.Version} RK45 at the same tolerance: {string.Join("; ", worse)}");
        ratios.Sort();
        Assert.True(ratios[ratios.Count / 2] <= 1.5, $"tsit5's median error is {ratios[ratios.Count / 2]:F2} × RK45's");
    }

    private static double Error(DetestProblem problem, OdeSolver solver, double[] reference)
    {
        using var scope = NewDisposeScope();
        var final = ConvergenceStudy.FinalOf(Ode.Solve(problem.F, tensor(problem.Y0), 0, problem.FinalTime, solver));
        return ConvergenceStudy.MaxError(final, reference);
    }
}
