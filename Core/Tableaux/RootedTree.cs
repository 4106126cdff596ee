namespace RobustNode.Core.Tableaux;

/// <summary>
/// A rooted tree, the index of one Runge–Kutta order condition (Butcher 1963): a tree t of order
/// |t| gives the condition Σ bᵢ Φᵢ(t) = 1/γ(t).
/// </summary>
/// <param name="Children">The subtrees hanging from the root, in canonical (sorted) order.</param>
internal sealed record RootedTree(IReadOnlyList<RootedTree> Children)
{
    /// <summary>The single-vertex tree τ.</summary>
    public static readonly RootedTree Leaf = new(Array.Empty<RootedTree>());

    /// <summary>Number of vertices |t|.</summary>
    public int Order { get; } = 1 + Children.Sum(c => c.Order);

    /// <summary>Density γ(t) = |t| Π γ(tⱼ).</summary>
    public long Density => Order * Children.Aggregate(1L, (p, c) => p * c.Density);

    /// <summary>All rooted trees with the given number of vertices, each exactly once.</summary>
    public static IReadOnlyList<RootedTree> OfOrder(int order) => Cache.Get(order);

    /// <summary>All rooted trees with 1 ≤ |t| ≤ order: the conditions for an order-p method.</summary>
    public static IEnumerable<RootedTree> UpToOrder(int order) =>
        Enumerable.Range(1, order).SelectMany(OfOrder);

    /// <summary>
    /// Elementary weight vector Φ(t) ∈ Rˢ: Φ(τ) = 1, Φ([t₁…tₘ])ᵢ = Πⱼ (A Φ(tⱼ))ᵢ.
    /// </summary>
    public double[] ElementaryWeights(CoefficientMatrix a)
    {
        int s = a.GetLength(0);
        var phi = Enumerable.Repeat(1.0, s).ToArray();
        foreach (var child in Children)
        {
            var inner = child.ElementaryWeights(a);
            for (int i = 0; i < s; i++)
            {
                double sum = 0;
                for (int j = 0; j < s; j++) sum += a[i, j] * inner[j];
                phi[i] *= sum;
            }
        }
        return phi;
    }

    /// <summary>Bracket notation: τ, [τ], [τ,τ], [[τ]] …</summary>
    public override string ToString() =>
        Children.Count == 0 ? "τ" : "[" + string.Join(",", Children) + "]";

    /// <summary>The condition as a formula in b, c and A, e.g. Σ bᵢ cᵢ aᵢⱼ cⱼ = 1/8.</summary>
    public string Formula()
    {
        int next = 0;
        string Term(RootedTree t, char index)
        {
            var parts = new List<string>();
            foreach (var child in t.Children)
            {
                if (child.Children.Count == 0) { parts.Add($"c{index}"); continue; }
                char j = (char)('j' + next++);
                parts.Add($"a{index}{j} " + Term(child, j));
            }
            return string.Join(" ", parts.GroupBy(p => p).Select(g => g.Count() == 1 ? g.Key : $"{g.Key}^{g.Count()}"));
        }
        var body = Term(this, 'i').Trim();
        return $"Σ bi {body}".Trim() + $" = 1/{Density}";
    }

    private static class Cache
    {
        private static readonly List<List<RootedTree>> ByOrder = [[], [Leaf]];
        private static readonly object Gate = new();

        public static IReadOnlyList<RootedTree> Get(int order)
        {
            if (order < 1) return Array.Empty<RootedTree>();
            lock (Gate)
            {
                while (ByOrder.Count <= order) ByOrder.Add(Build(ByOrder.Count));
                return ByOrder[order];
            }
        }

        // A tree of order n is a root with a multiset of subtrees whose orders sum to n-1. Multisets are
        // enumerated as non-increasing sequences in a global (order, index) ranking, so each appears once.
        private static List<RootedTree> Build(int n)
        {
            var ranked = new List<(int Order, int Index, RootedTree Tree)>();
            for (int k = n - 1; k >= 1; k--)
                for (int i = 0; i < ByOrder[k].Count; i++) ranked.Add((k, i, ByOrder[k][i]));
            var result = new List<RootedTree>();
            void Extend(int remaining, int start, List<RootedTree> chosen)
            {
                if (remaining == 0) { result.Add(new RootedTree(chosen.ToArray())); return; }
                for (int r = start; r < ranked.Count; r++)
                {
                    if (ranked[r].Order > remaining) continue;
                    chosen.Add(ranked[r].Tree);
                    Extend(remaining - ranked[r].Order, r, chosen);
                    chosen.RemoveAt(chosen.Count - 1);
                }
            }
            Extend(n - 1, 0, []);
            return result;
        }
    }
}
