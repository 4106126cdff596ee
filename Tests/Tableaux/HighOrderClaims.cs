using System.Diagnostics;
using RobustNode.Core.Errors;
using RobustNode.Core.Tableaux;
using LanguageExt;
using Xunit;
using Xunit.Abstractions;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.ButcherTableaux;

/// <summary>
/// A tableau that claims a high order costs no more than its lowest wrong order: the conditions are checked order by
/// order and the check stops at the first violated order; a claim above <see cref="ButcherTableau.MaxOrder"/> is
/// refused before a single tree is built. The rooted trees up to the cap are few enough to enumerate at start-up.
/// </summary>
[Collection(nameof(Collections.WallTimeBounds))]
public sealed class HighOrderClaims(ITestOutputHelper output)
{
    private static Validation<LanguageExt.Common.Error, ButcherTableau> Rk4Claiming(int order) =>
        ButcherTableau.Create("rk4-claim", Builtins.Rk4.A.ToArray(), Builtins.Rk4.B.ToArray(), Builtins.Rk4.C.ToArray(), order);

    [Fact]
    public void A_claim_above_the_cap_is_refused_at_once_with_the_cap_named()
    {
        var clock = Stopwatch.StartNew();
        var failures = Rk4Claiming(40).Failures();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        var error = Assert.Single(failures);
        Assert.Equal(RobustNodeErrors.InvalidTableauCode, error.Code);
        Assert.Contains("order 40 is above 12", error.Message);
    }

    [Fact]
    public void A_wrong_claim_reports_only_the_first_violated_order()
    {
        // rk4 has order 4: claiming 12 fails at order 5 (9 trees, of which rk4 violates every one), nothing above.
        var failures = Rk4Claiming(12).Failures();
        Assert.NotEmpty(failures);
        Assert.All(failures, e => Assert.Contains("(order 5)", e.Message));
    }

    [Fact]
    public void Every_builtin_order_and_the_cap_itself_are_allowed()
    {
        Assert.All(Builtins.All, t => Assert.InRange(t.Order, 1, ButcherTableau.MaxOrder));
        Assert.Equal(12, ButcherTableau.MaxOrder);
        // A claim of the cap is checked (and here refused for the true reason, the order-5 conditions).
        Assert.DoesNotContain(Rk4Claiming(ButcherTableau.MaxOrder).Failures(), e => e.Message.Contains("above"));
    }

    [Fact]
    public void The_trees_up_to_the_cap_number_7813_and_are_enumerated_quickly()
    {
        var clock = Stopwatch.StartNew();
        int count = RootedTree.UpToOrder(ButcherTableau.MaxOrder).Count();
        var elapsed = clock.Elapsed;
        var weights = Stopwatch.StartNew();
        foreach (var tree in RootedTree.UpToOrder(ButcherTableau.MaxOrder)) OrderConditions.Residual(tree, Builtins.DormandPrince.A, Builtins.DormandPrince.B);
        output.WriteLine($"enumerating the {count} trees up to order 12: {elapsed.TotalMilliseconds:F0} ms (first call of the process builds them); their residuals for dopri5: {weights.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(7813, count);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"enumerating took {elapsed}");
    }
}
