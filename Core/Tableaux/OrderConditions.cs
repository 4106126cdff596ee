using LanguageExt.Common;
using RobustNode.Core.Errors;

namespace RobustNode.Core.Tableaux;

/// <summary>
/// The rooted-tree order conditions Σ bᵢ Φᵢ(t) = 1/γ(t) for all trees with |t| ≤ p
/// (Butcher 1963; Hairer, Nørsett &amp; Wanner I, Thm. II.2.13).
/// </summary>
public static class OrderConditions
{
    /// <summary>Residual Σ bᵢ Φᵢ(t) − 1/γ(t) of one condition.</summary>
    internal static double Residual(RootedTree tree, CoefficientMatrix a, IReadOnlyList<double> weights)
    {
        var phi = tree.ElementaryWeights(a);
        double sum = 0;
        for (int i = 0; i < weights.Count; i++) sum += weights[i] * phi[i];
        return sum - 1.0 / tree.Density;
    }

    /// <summary>True when the weights satisfy every condition up to the order.</summary>
    public static bool Satisfies(CoefficientMatrix a, IReadOnlyList<double> weights, int order, double tolerance = ButcherTableau.ConditionTolerance) =>
        RootedTree.UpToOrder(order).All(t => Math.Abs(Residual(t, a, weights)) <= tolerance);

    /// <summary>The largest order whose conditions all hold (0 if even Σ b = 1 fails); searched up to maxOrder.</summary>
    public static int AchievedOrder(CoefficientMatrix a, IReadOnlyList<double> weights, int maxOrder = 8)
    {
        int p = 0;
        while (p < maxOrder && RootedTree.OfOrder(p + 1).All(t => Math.Abs(Residual(t, a, weights)) <= ButcherTableau.ConditionTolerance)) p++;
        return p;
    }

    /// <summary>
    /// The violated conditions of the lowest order that has any, checked order by order from 1 up to
    /// <paramref name="order"/>: a scheme that fails at order 3 is not asked about the thousands of trees of
    /// order 12, so a wrong claim costs no more than the first wrong order (order ≤ <see cref="ButcherTableau.MaxOrder"/>).
    /// </summary>
    internal static IReadOnlyList<Error> Violations(string name, string weightsName, CoefficientMatrix a, IReadOnlyList<double> weights, int order)
    {
        for (int p = 1; p <= order; p++)
        {
            var violated = new List<Error>();
            foreach (var tree in RootedTree.OfOrder(p))
            {
                double r = Residual(tree, a, weights);
                if (Math.Abs(r) > ButcherTableau.ConditionTolerance)
                    violated.Add(RobustNodeErrors.OrderCondition(name,
                        $"order condition of tree {tree} (order {tree.Order}) violated for {weightsName}: {tree.Formula()}, residual {r:G4}"));
            }
            if (violated.Count > 0) return violated;
        }
        return [];
    }
}
