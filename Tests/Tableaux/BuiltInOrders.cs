using RobustNode.Core.Tableaux;
using Xunit;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.ButcherTableaux;

/// <summary>
/// Every built-in scheme satisfies exactly the order conditions it claims: all conditions up to its
/// order hold to rounding error, and at least one condition of the next order fails (the claimed
/// order is the true order, not a lower bound). The same for the embedded weights b̂.
/// </summary>
public sealed class BuiltInOrders
{
    public static TheoryData<string> Names => new(Builtins.All.Select(t => t.Name));

    public static TheoryData<string> EmbeddedNames => new(Builtins.All.Where(t => t.IsAdaptive).Select(t => t.Name));

    private static ButcherTableau Named(string name) => Builtins.All.Single(t => t.Name == name);

    [Theory, MemberData(nameof(Names))]
    public void Weights_satisfy_every_order_condition_up_to_the_order(string name)
    {
        var t = Named(name);
        Assert.All(RootedTree.UpToOrder(t.Order), tree =>
            Assert.True(Math.Abs(OrderConditions.Residual(tree, t.A, t.B)) <= 1e-13,
                $"{name}: {tree.Formula()} has residual {OrderConditions.Residual(tree, t.A, t.B):G3}"));
    }

    [Theory, MemberData(nameof(Names))]
    public void Weights_fail_an_order_condition_of_the_next_order(string name)
    {
        var t = Named(name);
        double worst = RootedTree.OfOrder(t.Order + 1).Max(tree => Math.Abs(OrderConditions.Residual(tree, t.A, t.B)));
        Assert.True(worst > 1e-6, $"{name} also satisfies the conditions of order {t.Order + 1}");
        Assert.Equal(t.Order, OrderConditions.AchievedOrder(t.A, t.B));
    }

    [Theory, MemberData(nameof(EmbeddedNames))]
    public void Embedded_weights_have_exactly_the_embedded_order(string name)
    {
        var t = Named(name);
        int q = t.EmbeddedOrder!.Value;
        Assert.True(OrderConditions.Satisfies(t.A, t.BHat!, q, 1e-13));
        Assert.False(OrderConditions.Satisfies(t.A, t.BHat!, q + 1));
        Assert.Equal(q, OrderConditions.AchievedOrder(t.A, t.BHat!));
    }

    [Theory, MemberData(nameof(Names))]
    public void Nodes_are_the_row_sums_of_A(string name)
    {
        var t = Named(name);
        for (int i = 0; i < t.Stages; i++)
            Assert.Equal(t.C[i], Enumerable.Range(0, t.Stages).Sum(j => t.A[i, j]), 14);
    }

    [Theory, MemberData(nameof(EmbeddedNames))]
    public void Error_weights_sum_to_zero(string name) =>
        Assert.Equal(0.0, Named(name).ErrorWeights!.Sum(), 13);

    [Fact]
    public void Dopri5_midpoint_weights_satisfy_the_conditions_of_order_4_at_one_half()
    {
        // y(t + h/2) ≈ y + h Σ mᵢKᵢ to order 4: Σ mᵢ Φᵢ(t) = (1/2)^|t| / γ(t) for |t| ≤ 4 (Shampine 1986).
        var t = Builtins.DormandPrince;
        var m = t.MidpointWeights!;
        double Residual(RootedTree tree)
        {
            var phi = tree.ElementaryWeights(t.A);
            return m.Select((mi, i) => mi * phi[i]).Sum() - Math.Pow(0.5, tree.Order) / tree.Density;
        }
        Assert.All(RootedTree.UpToOrder(4), tree => Assert.True(Math.Abs(Residual(tree)) <= 1e-14, tree.Formula()));
        Assert.Contains(RootedTree.OfOrder(5), tree => Math.Abs(Residual(tree)) > 1e-6);
    }

    [Fact]
    public void Fsal_is_derived_from_the_coefficients()
    {
        string[] fsal = ["bosh3", "dopri5", "tsit5"];
        Assert.All(Builtins.All, t => Assert.Equal(fsal.Contains(t.Name), t.IsFsal));
    }
}
