using RobustNode.Core.Errors;
using RobustNode.Core.Tableaux;
using Xunit;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.ButcherTableaux;

/// <summary>
/// <see cref="ButcherTableau.Create"/> is applicative validation: a malformed tableau (implicit A,
/// mismatched shapes, non-finite coefficients, an impossible order) is an error value naming the problem,
/// and every problem of one kind is reported at once.
/// </summary>
public sealed class MalformedTableaux
{
    private static readonly double[,] Rk4A = Builtins.Rk4.A.ToArray();
    private static readonly double[] Rk4B = Builtins.Rk4.B.ToArray();
    private static readonly double[] Rk4C = Builtins.Rk4.C.ToArray();

    [Fact]
    public void An_implicit_tableau_is_rejected_as_not_explicit()
    {
        // The implicit midpoint rule: a₁₁ = 1/2.
        var failures = ButcherTableau.Create("implicit-midpoint", new[,] { { 0.5 } }, [1.0], [0.5], order: 2).Failures();
        var error = Assert.Single(failures, e => e.Message.Contains("not explicit"));
        Assert.Equal(RobustNodeErrors.InvalidTableauCode, error.Code);
        Assert.Contains("a[1,1]", error.Message);
    }

    [Fact]
    public void A_must_be_square_and_match_b()
    {
        var failures = ButcherTableau.Create("bad", new double[3, 2], [0.5, 0.5], [0.0, 1.0], order: 1).Failures();
        Assert.Contains(failures, e => e.Message.Contains("A must be 2×2") && e.Message.Contains("3×2"));
    }

    [Fact]
    public void Nodes_must_match_the_weights()
    {
        var failures = ButcherTableau.Create("bad", Rk4A, Rk4B, [0.0, 0.5, 1.0], order: 4).Failures();
        Assert.Contains(failures, e => e.Message.Contains("c has 3 entries, b has 4"));
    }

    [Fact]
    public void Embedded_and_midpoint_weights_must_match_the_weights()
    {
        var failures = ButcherTableau.Create("bad", Rk4A, Rk4B, Rk4C, order: 4,
            bHat: [1.0, 0.0], embeddedOrder: 1, midpointWeights: [0.5]).Failures();
        Assert.Contains(failures, e => e.Message.Contains("b̂ has 2 entries"));
        Assert.Contains(failures, e => e.Message.Contains("mid-point weights have 1 entries"));
    }

    [Fact]
    public void An_embedded_method_needs_both_weights_and_order()
    {
        var failures = ButcherTableau.Create("bad", Rk4A, Rk4B, Rk4C, order: 4, bHat: Rk4B).Failures();
        Assert.Contains(failures, e => e.Message.Contains("needs both b̂ and its order"));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Non_finite_coefficients_are_rejected(double bad)
    {
        var a = (double[,])Rk4A.Clone();
        a[2, 1] = bad;
        var failures = ButcherTableau.Create("bad", a, Rk4B, Rk4C, order: 4).Failures();
        var error = Assert.Single(failures);
        Assert.Equal(RobustNodeErrors.InvalidTableauCode, error.Code);
        Assert.Contains("finite", error.Message);
    }

    [Fact]
    public void Empty_weights_and_order_zero_are_rejected()
    {
        var failures = ButcherTableau.Create("empty", new double[0, 0], [], [], order: 0).Failures();
        Assert.Contains(failures, e => e.Message.Contains("b is empty"));
        Assert.Contains(failures, e => e.Message.Contains("order must be at least 1"));
    }

    [Fact]
    public void Every_shape_problem_is_reported_at_once()
    {
        var failures = ButcherTableau.Create("bad", new double[3, 3], [0.5, 0.5], [0.0, 0.5, 1.0, 1.5], order: 0,
            bHat: [1.0], midpointWeights: [1.0, 2.0, 3.0]).Failures();
        // A, c, b̂, mid-point weights, b̂ without an order, order 0.
        Assert.Equal(6, failures.Count);
        Assert.All(failures, e => Assert.Equal(RobustNodeErrors.InvalidTableauCode, e.Code));
    }

    [Fact]
    public void Every_violated_condition_of_the_lowest_wrong_order_is_reported_at_once()
    {
        // RK4's A and c with equal weights b = 1/4 and a wrong node c₂ = 0.4: consistency fails in row 2, and b
        // fails each order condition of the lowest order with a non-zero residual (higher orders are not checked).
        double[] b = [0.25, 0.25, 0.25, 0.25];
        double[] c = [0.0, 0.4, 0.5, 1.0];
        var failures = ButcherTableau.Create("rk4-broken", Rk4A, b, c, order: 4).Failures();
        int lowest = RootedTree.UpToOrder(4).First(t => Math.Abs(OrderConditions.Residual(t, Rk4A, b)) > ButcherTableau.ConditionTolerance).Order;
        int violated = RootedTree.OfOrder(lowest).Count(t => Math.Abs(OrderConditions.Residual(t, Rk4A, b)) > ButcherTableau.ConditionTolerance);
        Assert.True(violated >= 2);
        Assert.All(failures.Filter(e => e.Code == RobustNodeErrors.OrderConditionCode), e => Assert.Contains($"(order {lowest})", e.Message));
        Assert.Equal(1 + violated, failures.Count);
        Assert.Single(failures, e => e.Message.Contains("c = A·1") && e.Message.Contains("row 2"));
        Assert.Equal(violated, failures.Count(e => e.Code == RobustNodeErrors.OrderConditionCode && e.Message.Contains("order condition")));
    }

    [Fact]
    public void A_claimed_order_above_the_true_order_names_the_first_failing_trees()
    {
        // Heun's method claimed as order 3: both order-3 conditions fail, with their formulas.
        var heun = Builtins.Heun;
        var failures = ButcherTableau.Create("heun-as-3", heun.A.ToArray(), heun.B.ToArray(), heun.C.ToArray(), order: 3).Failures();
        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, e => e.Message.Contains("= 1/3"));
        Assert.Contains(failures, e => e.Message.Contains("= 1/6"));
    }
}
