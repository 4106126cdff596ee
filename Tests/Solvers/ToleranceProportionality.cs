using RobustNode.Core.Tableaux;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using Xunit;
using static TorchSharp.torch;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// Adaptive steps deliver what the tolerance asks for. On the DETEST problems with closed-form solutions
/// (A1–A4, D1; rtol = atol = tol) the end-point error, measured in units of the tolerance,
/// e = maxᵢ |yᵢ − yᵢ*| / (atol + rtol·|yᵢ*|), falls when the tolerance falls, and stays within a modest
/// factor of it. Error-per-step control bounds local errors, so the global error of a problem whose errors
/// accumulate is a multiple of the tolerance: for the two-body orbit D1 the phase error grows along three
/// revolutions and e reaches a few hundred (SciPy's RK45 takes the same steps and does no better).
/// </summary>
public sealed class ToleranceProportionality
{
    /// <summary>Bound on e for the class-A problems, whose errors are damped or neutral.</summary>
    private const double ModestFactor = 50;

    /// <summary>Bound on e for the two-body problem D1.</summary>
    private const double OrbitFactor = 5000;

    public static TheoryData<string, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, string>();
            foreach (var method in new[] { "bosh3", "dopri5", "tsit5" })
                foreach (var problem in Detest.WithExactSolution) cases.Add(method, problem.Name);
            return cases;
        }
    }

    /// <summary>
    /// Three tolerances a factor 100 apart. Looser ones are left out: a solve of a few steps can be lucky
    /// (bosh3 on A4 at 1e-3 takes 9 steps and lands 100 times closer than at 1e-4).
    /// </summary>
    private static readonly double[] Tolerances = [1e-4, 1e-6, 1e-8];

    private static readonly Dictionary<(string, string, double), (double, double)> Solved = [];

    private static (double Absolute, double InToleranceUnits) EndPointError(ButcherTableau tableau, DetestProblem problem, double tol)
    {
        lock (Solved)
        {
            if (!Solved.TryGetValue((tableau.Name, problem.Name, tol), out var error))
                Solved[(tableau.Name, problem.Name, tol)] = error = Solve(tableau, problem, tol);
            return error;
        }
    }

    private static (double Absolute, double InToleranceUnits) Solve(ButcherTableau tableau, DetestProblem problem, double tol)
    {
        using var scope = NewDisposeScope();
        var solver = new OdeSolver(tableau, new PIController(tol, tol));
        var y = ConvergenceStudy.FinalOf(Ode.Solve(problem.F, tensor(problem.Y0), 0, problem.FinalTime, solver)).data<double>().ToArray();
        var exact = problem.Exact!(problem.FinalTime);
        return (y.Select((v, i) => Math.Abs(v - exact[i])).Max(),
                y.Select((v, i) => Math.Abs(v - exact[i]) / (tol + tol * Math.Abs(exact[i]))).Max());
    }

    [Theory, MemberData(nameof(Cases))]
    public void Achieved_error_falls_with_the_tolerance(string method, string problem)
    {
        var tableau = Builtins.All.Single(t => t.Name == method);
        var errors = Tolerances.Select(tol => EndPointError(tableau, Detest.Named(problem), tol).Absolute).ToArray();
        for (int i = 1; i < errors.Length; i++)
            Assert.True(errors[i] < errors[i - 1], $"{method} on {problem}: errors {string.Join(", ", errors.Select(e => e.ToString("G3")))}");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Achieved_error_is_within_a_modest_factor_of_the_tolerance(string method, string problem)
    {
        var tableau = Builtins.All.Single(t => t.Name == method);
        double factor = problem == "D1" ? OrbitFactor : ModestFactor;
        foreach (var tol in Tolerances)
        {
            double e = EndPointError(tableau, Detest.Named(problem), tol).InToleranceUnits;
            Assert.True(e <= factor, $"{method} on {problem} at tol {tol:G1}: error is {e:F1} tolerances");
        }
    }
}
