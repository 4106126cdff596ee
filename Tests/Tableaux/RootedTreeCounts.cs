using RobustNode.Core.Tableaux;
using Xunit;

namespace RobustNode.Tests.ButcherTableaux;

/// <summary>
/// The order conditions are indexed by rooted trees; their number per order is Cayley's sequence
/// 1, 1, 2, 4, 9, 20, 48, 115 (OEIS A000081), so an order-p method satisfies 1, 2, 4, 8, 17, 37, 85, 200
/// conditions (Butcher 1963).
/// </summary>
public sealed class RootedTreeCounts
{
    [Fact]
    public void Rooted_trees_of_orders_1_to_8_number_1_1_2_4_9_20_48_115()
    {
        int[] expected = [1, 1, 2, 4, 9, 20, 48, 115];
        Assert.Equal(expected, Enumerable.Range(1, 8).Select(p => RootedTree.OfOrder(p).Count));
    }

    [Fact]
    public void Rooted_trees_of_one_order_are_distinct()
    {
        for (int p = 1; p <= 8; p++)
        {
            var names = RootedTree.OfOrder(p).Select(t => t.ToString()).ToList();
            Assert.Equal(names.Count, names.Distinct().Count());
            Assert.All(RootedTree.OfOrder(p), t => Assert.Equal(p, t.Order));
        }
    }

    [Fact]
    public void Densities_of_the_order_3_trees_are_3_and_6()
    {
        // [τ,τ]: Σ bᵢcᵢ² = 1/3;  [[τ]]: Σ bᵢaᵢⱼcⱼ = 1/6.
        Assert.Equal(new long[] { 3, 6 }, RootedTree.OfOrder(3).Select(t => t.Density).Order());
    }

    [Fact]
    public void Every_tree_of_order_at_most_8_has_density_at_least_its_order()
    {
        // γ(t) = |t| Π γ(tⱼ) ≥ |t|, with equality only for the bushy tree [τ,…,τ].
        for (int p = 1; p <= 8; p++)
        {
            Assert.All(RootedTree.OfOrder(p), t => Assert.True(t.Density >= p));
            Assert.Single(RootedTree.OfOrder(p), t => t.Density == p);
        }
    }
}
