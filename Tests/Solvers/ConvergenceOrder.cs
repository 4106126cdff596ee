using RobustNode.Core.Fields;
using RobustNode.Core.Tableaux;
using RobustNode.Solvers;
using Xunit;
using static RobustNode.Tests.Solvers.ConvergenceStudy;
using static TorchSharp.torch;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// Every built-in scheme converges at its order: with N equal steps the global error at the final time
/// behaves like C hᵖ, so the least-squares slope of log(error) against log(h) over a ladder of step counts
/// is p within 0.15 (float64; step sizes where the leading error term dominates and rounding does not).
/// Checked on a linear system against the matrix exponential, on the logistic equation (DETEST A4,
/// nonlinear) and on a non-autonomous form of it, which checks the stage times t + cᵢh.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class ConvergenceOrder
{
    private const double Tolerance = 0.15;

    public static TheoryData<string> Names => new(Builtins.All.Select(t => t.Name));

    private static ButcherTableau Named(string name) => Builtins.All.Single(t => t.Name == name);

    private static double ObservedOrder(ButcherTableau tableau, double span, Func<int, double> errorWithSteps)
    {
        var ladder = Ladder(tableau.Order);
        return LogLogSlope(ladder.Select(n => span / n).ToArray(), ladder.Select(errorWithSteps).ToArray());
    }

    private static void AssertOrder(ButcherTableau tableau, double observed) =>
        Assert.True(Math.Abs(observed - tableau.Order) <= Tolerance,
            $"{tableau.Name}: observed order {observed:F3}, expected {tableau.Order} ± {Tolerance}");

    // The logistic equation z' = (z/4)(1 − z/20), z(0) = 1 (DETEST A4), on [0, 10]: z = 20 / (1 + 19 e^(−t/4)).
    private const double LogisticSpan = 10;
    private static Tensor Logistic(Tensor z) => z.mul(0.25).mul_(z.mul(-0.05).add_(1.0));
    private static double LogisticSolution(double t) => 20 / (1 + 19 * Math.Exp(-t / 4));

    [Theory, MemberData(nameof(Names))]
    public void Converges_at_its_order_on_a_linear_system(string name)
    {
        using var scope = NewDisposeScope();
        var tableau = Named(name);
        // A damped rotation coupled to a decaying mode; x(T) = x₀ exp(TA)ᵀ for each row x₀ of the batch.
        var a = tensor(new[] { -0.3, 1.0, 0.0, -1.0, -0.3, 0.4, 0.0, -0.4, -0.8 }, [3, 3]);
        var x0 = tensor(new[] { 1.0, 0.0, -0.5, 0.2, 0.7, 1.1 }, [2, 3]);
        const double T = 1.0;
        var exact = x0.matmul(linalg.matrix_exp(a * T).t()).reshape(-1).data<double>().ToArray();
        var field = LinearField.Create(a, T).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        AssertOrder(tableau, ObservedOrder(tableau, T,
            n => MaxError(FinalOf(Ode.Solve(field, x0, SolverCatalog.Fixed(tableau, n))), exact)));
    }

    [Theory, MemberData(nameof(Names))]
    public void Converges_at_its_order_on_the_logistic_equation(string name)
    {
        using var scope = NewDisposeScope();
        var tableau = Named(name);
        AssertOrder(tableau, ObservedOrder(tableau, LogisticSpan, n => MaxError(
            FinalOf(Ode.Solve((t, z) => Logistic(z), tensor(new[] { 1.0 }), 0, LogisticSpan, SolverCatalog.Fixed(tableau, n))),
            [LogisticSolution(LogisticSpan)])));
    }

    [Theory, MemberData(nameof(Names))]
    public void Converges_at_its_order_on_a_non_autonomous_logistic_equation(string name)
    {
        // y = z + t solves y' = 1 + (y − t)/4 · (1 − (y − t)/20). With c = A·1 the stages see exactly the
        // logistic stages shifted by t + cᵢh, so this converges at the order only if every stage is
        // evaluated at its own time.
        using var scope = NewDisposeScope();
        var tableau = Named(name);
        AssertOrder(tableau, ObservedOrder(tableau, LogisticSpan, n => MaxError(
            FinalOf(Ode.Solve((t, y) => Logistic(y - t).add_(1.0), tensor(new[] { 1.0 }), 0, LogisticSpan, SolverCatalog.Fixed(tableau, n))),
            [LogisticSolution(LogisticSpan) + LogisticSpan])));
    }

    [Fact]
    public void Rk4_converges_at_order_4() => Converges_at_its_order_on_the_logistic_equation("rk4");

    [Fact]
    public void Euler_converges_at_order_1() => Converges_at_its_order_on_the_logistic_equation("euler");

    [Fact]
    public void Stage_times_matter_a_wrong_node_breaks_the_non_autonomous_order()
    {
        // Sanity check of the non-autonomous test: the stepper given stage times t + h/2 for RK4's last stage
        // (c₄ = 1/2 instead of 1, which only consistency validation forbids) converges at order 1.
        using var scope = NewDisposeScope();
        var rk4 = Builtins.Rk4;
        double Error(int n)
        {
            double h = LogisticSpan / n;
            double y = 1.0;
            for (int k = 0; k < n; k++)
            {
                double t = k * h;
                double F(double tt, double yy) => 1 + (yy - tt) / 4 * (1 - (yy - tt) / 20);
                double k1 = F(t, y), k2 = F(t + h / 2, y + h / 2 * k1), k3 = F(t + h / 2, y + h / 2 * k2), k4 = F(t + h / 2, y + h * k3);
                y += h * (rk4.B[0] * k1 + rk4.B[1] * k2 + rk4.B[2] * k3 + rk4.B[3] * k4);
            }
            return Math.Abs(y - LogisticSolution(LogisticSpan) - LogisticSpan);
        }
        var ladder = Ladder(4);
        double observed = LogLogSlope(ladder.Select(n => LogisticSpan / n).ToArray(), ladder.Select(Error).ToArray());
        Assert.InRange(observed, 0.8, 1.2);
    }
}
