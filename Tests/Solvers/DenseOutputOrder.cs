using RobustNode.Core.Tableaux;
using RobustNode.Solvers;
using RobustNode.Core.Engines;
using RobustNode.Solvers.Integration;
using Xunit;
using static RobustNode.Tests.Solvers.ConvergenceStudy;
using static TorchSharp.torch;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// The continuous extensions converge at their orders. A continuous extension u(θ) of a step has order q
/// when its local error y(t₀ + θh) − u(θ), started from the exact y(t₀), is O(h^(q+1)) at interior θ:
/// q = 4 for the quartic through y₀, y½, y₁, f₀, f₁ of Dormand–Prince 5 with Shampine's mid-point weights,
/// q = 3 for the cubic Hermite interpolant through y₀, y₁, f₀, f₁ (the fallback of every other scheme).
/// Over a whole solve the interpolated error then converges at min(p, q + 1) ≥ q.
/// Problem: the logistic equation z' = (z/4)(1 − z/20) (DETEST A4), z = 20 / (1 + 19 e^(−t/4)).
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class DenseOutputOrder
{
    private const double Tolerance = 0.15;

    private static Tensor Logistic(double t, Tensor z) => z.mul(0.25).mul_(z.mul(-0.05).add_(1.0));
    private static double Solution(double t) => 20 / (1 + 19 * Math.Exp(-t / 4));

    private static OdeSolution<Tensor> Solve(ButcherTableau tableau, double t0, double t1, int steps) =>
        Ode.Solve(Logistic, tensor(new[] { Solution(t0) }), t0, t1, SolverCatalog.Fixed(tableau, steps), new SolveOptions(Dense: true))
            .Match(s => s, e => throw new InvalidOperationException(e.Message));

    /// <summary>The slope of the one-step interpolation error at θ over h = 1/2, 1/4, 1/8, 1/16 (from the exact state at t₀ = 2).</summary>
    private static double LocalSlope(ButcherTableau tableau, double theta)
    {
        const double t0 = 2;
        double[] hs = [0.5, 0.25, 0.125, 0.0625];
        var errors = hs.Select(h =>
        {
            using var scope = NewDisposeScope();
            var dense = Solve(tableau, t0, t0 + h, 1).Dense!;
            return Math.Abs(dense.Evaluate(t0 + theta * h).item<double>() - Solution(t0 + theta * h));
        }).ToArray();
        return LogLogSlope(hs, errors);
    }

    /// <summary>The slope of the largest interpolation error at t_k + θh over all steps of a solve on [0, 10], over a ladder of step counts.</summary>
    private static double GlobalSlope(ButcherTableau tableau, double theta)
    {
        const double T = 10;
        var ladder = Ladder(tableau.Order);
        var errors = ladder.Select(n =>
        {
            using var scope = NewDisposeScope();
            var dense = Solve(tableau, 0, T, n).Dense!;
            double h = T / n;
            return Enumerable.Range(0, n).Max(k => Math.Abs(dense.Evaluate((k + theta) * h).item<double>() - Solution((k + theta) * h)));
        }).ToArray();
        return LogLogSlope(ladder.Select(n => T / n).ToArray(), errors);
    }

    [Fact]
    public void Dopri5_quartic_interpolant_has_order_4()
    {
        Assert.NotNull(Builtins.DormandPrince.MidpointWeights);
        double slope = LocalSlope(Builtins.DormandPrince, 0.7);
        Assert.True(Math.Abs(slope - 5) <= Tolerance, $"local error slope {slope:F3}, expected 5 (order 4)");
    }

    [Theory]
    [InlineData("bosh3")]
    [InlineData("kutta3")]
    public void Hermite_cubic_interpolant_has_order_3(string name)
    {
        var tableau = Builtins.All.Single(t => t.Name == name);
        Assert.Null(tableau.MidpointWeights);
        double slope = LocalSlope(tableau, 0.5);
        Assert.True(Math.Abs(slope - 4) <= Tolerance, $"{name}: local error slope {slope:F3}, expected 4 (order 3)");
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.7)]
    public void Dopri5_dense_output_converges_at_least_at_order_4(double theta)
    {
        double slope = GlobalSlope(Builtins.DormandPrince, theta);
        Assert.True(slope >= 4 - Tolerance, $"θ = {theta}: slope {slope:F3}");
    }

    [Theory]
    [InlineData("bosh3", 0.3)]
    [InlineData("rk4", 0.5)]
    [InlineData("tsit5", 0.7)]
    public void Hermite_dense_output_converges_at_least_at_order_3(string name, double theta)
    {
        double slope = GlobalSlope(Builtins.All.Single(t => t.Name == name), theta);
        Assert.True(slope >= 3 - Tolerance, $"{name}, θ = {theta}: slope {slope:F3}");
    }

    [Theory]
    [InlineData("dopri5")]
    [InlineData("rk4")]
    public void Dense_output_passes_through_the_step_endpoints(string name)
    {
        using var scope = NewDisposeScope();
        var solution = Solve(Builtins.All.Single(t => t.Name == name), 0, 10, 5);
        foreach (var segment in solution.Dense!.Segments)
        {
            Assert.Equal(segment.Y0.item<double>(), solution.Dense.Evaluate(segment.T0, segment.Piece).item<double>(), 12);
            Assert.Equal(segment.Y1.item<double>(), segment.Evaluate(TorchEngine.Instance, segment.T1).item<double>(), 12);
        }
    }
}
