using RobustNode.Core.Tableaux;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using RobustNode.Tests.Solvers;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Solvers;

/// <summary>Work and accuracy of one solve: function evaluations and the max-norm end-point error against the reference.</summary>
public sealed record WorkPoint(string Problem, string Method, double Tolerance, int FunctionEvaluations, double Error);

/// <summary>The work–precision data of one run, with what was left out and why.</summary>
public sealed record WorkPrecisionTable(IReadOnlyList<WorkPoint> Points, IReadOnlyList<string> Methods, IReadOnlyList<string> Problems,
    IReadOnlyList<double> Tolerances, string? SciPyVersion, string? Note);

/// <summary>
/// Function evaluations and achieved end-point error against the tolerance (rtol = atol = 1e-3 … 1e-9) for
/// bosh3, dopri5 and tsit5 on the DETEST problems, beside SciPy's RK45 and DOP853 at the same tolerances.
/// Errors are measured against the closed-form solution where there is one (A1–A4, D1) and against SciPy's
/// DOP853 at rtol = atol = 1e-13 otherwise (A5, B1).
/// </summary>
public static class WorkPrecision
{
    public static readonly double[] Tolerances = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9];
    private static readonly ButcherTableau[] Ours = [Tableaux.BogackiShampine, Tableaux.DormandPrince, Tableaux.Tsitouras];
    private static readonly string[] Theirs = ["RK45", "DOP853"];

    public static WorkPrecisionTable Measure()
    {
        OracleAnswer? oracle = null;
        string? note = null;
        if (SciPyOracle.Available)
            oracle = SciPyOracle.Solve(
                from p in Detest.All from m in Theirs from tol in Tolerances select (p.Name, m, tol, tol),
                Detest.All.Where(p => p.Exact is null).Select(p => p.Name));
        else
            note = $"SciPy columns and the problems without a closed form are left out: {SciPyOracle.WhyUnavailable}.";

        var problems = Detest.All.Where(p => p.Exact is not null || oracle is not null).ToArray();
        var points = new List<WorkPoint>();
        foreach (var problem in problems)
        {
            var reference = problem.Exact?.Invoke(problem.FinalTime) ?? oracle!.References[problem.Name];
            foreach (var tableau in Ours)
                foreach (var tol in Tolerances)
                {
                    using var scope = NewDisposeScope();
                    var solver = new OdeSolver(tableau, new PIController(tol, tol));
                    var solution = Ode.Solve(problem.F, tensor(problem.Y0), 0, problem.FinalTime, solver)
                        .Match(s => s, e => throw new InvalidOperationException($"{tableau.Name} on {problem.Name}: {e.Message}"));
                    points.Add(new WorkPoint(problem.Name, tableau.Name, tol, solution.Statistics.FunctionEvaluations,
                        ConvergenceStudy.MaxError(solution.Final, reference)));
                }
            if (oracle is null) continue;
            foreach (var run in oracle.Runs.Where(r => r.Problem == problem.Name))
                points.Add(new WorkPoint(problem.Name, "scipy " + run.Method, run.RelativeTolerance, run.FunctionEvaluations,
                    run.Final.Select((v, i) => Math.Abs(v - reference[i])).Max()));
        }
        var methods = Ours.Select(t => t.Name).Concat(oracle is null ? [] : Theirs.Select(m => "scipy " + m)).ToArray();
        return new WorkPrecisionTable(points, methods, problems.Select(p => p.Name).ToArray(), Tolerances, oracle?.Version, note);
    }
}
