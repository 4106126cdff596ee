using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;

namespace RobustNode.Core.Tableaux;

/// <summary>
/// An explicit Runge–Kutta scheme as data: the Butcher tableau
/// <c>Kᵢ = f(t + cᵢh, y + h Σⱼ&lt;ᵢ aᵢⱼ Kⱼ)</c>, <c>y₁ = y + h Σ bᵢ Kᵢ</c>,
/// with an optional embedded weight vector b̂ for error estimation and optional
/// mid-point weights for a quartic dense output.
/// </summary>
/// <remarks>
/// Instances are validated on construction (<see cref="Create"/>): shapes, explicitness (A strictly
/// lower triangular), consistency c = A·1 and the rooted-tree order conditions of b up to
/// <see cref="Order"/> and of b̂ up to <see cref="EmbeddedOrder"/>. What can be derived is derived:
/// stage count, FSAL, error weights. Hairer, Nørsett &amp; Wanner, Solving ODEs I, §II.2.
/// </remarks>
public sealed record ButcherTableau
{
    /// <summary>Name used in messages and registries.</summary>
    public string Name { get; }
    /// <summary>Runge–Kutta matrix A (s × s, strictly lower triangular), read-only.</summary>
    public CoefficientMatrix A { get; }
    /// <summary>Weights b of the propagated solution, read-only.</summary>
    public IReadOnlyList<double> B { get; }
    /// <summary>Nodes c, read-only.</summary>
    public IReadOnlyList<double> C { get; }
    /// <summary>Order p of the propagated solution.</summary>
    public int Order { get; }
    /// <summary>Embedded weights b̂ (lower order), or null for a fixed-step-only scheme.</summary>
    public IReadOnlyList<double>? BHat { get; }
    /// <summary>Order of the embedded solution.</summary>
    public int? EmbeddedOrder { get; }
    /// <summary>
    /// Weights m with y(t + h/2) ≈ y + h Σ mᵢ Kᵢ; with them the dense output is the quartic through
    /// y₀, y₁, y½, f₀, f₁ (Shampine 1986). Null: cubic Hermite dense output.
    /// </summary>
    public IReadOnlyList<double>? MidpointWeights { get; }

    /// <summary>Number of stages s.</summary>
    public int Stages => B.Count;
    /// <summary>First same as last: the last stage is f(t+h, y₁), so it is the next step's first stage.</summary>
    public bool IsFsal { get; }
    /// <summary>Error weights e = b − b̂ (null without an embedded method).</summary>
    public IReadOnlyList<double>? ErrorWeights { get; }
    /// <summary>True when the scheme carries an error estimate and can drive an adaptive controller.</summary>
    public bool IsAdaptive => BHat is not null;

    private readonly bool[] _feedsLaterStage;

    /// <summary>
    /// True when a later stage uses Kᵢ (some aⱼᵢ ≠ 0, j &gt; i). Derivative sweeps need a stage's value only then: its
    /// argument Xⱼ is all they keep of the others.
    /// </summary>
    internal bool FeedsLaterStage(int stage) => _feedsLaterStage[stage];

    private ButcherTableau(string name, double[,] a, double[] b, double[] c, int order,
        double[]? bHat, int? embeddedOrder, double[]? midpointWeights)
    {
        // Private copies behind read-only views: the caller's arrays may change later, a validated tableau may not.
        (Name, A, B, C, Order, BHat, EmbeddedOrder, MidpointWeights) =
            (name, new CoefficientMatrix(a), Frozen(b), Frozen(c), order, bHat is null ? null : Frozen(bHat), embeddedOrder,
             midpointWeights is null ? null : Frozen(midpointWeights));
        int s = b.Length;
        IsFsal = s > 1 && c[s - 1] == 1.0 && Enumerable.Range(0, s).All(j => a[s - 1, j] == b[j]);
        ErrorWeights = bHat is null ? null : Frozen(bHat.Select((bh, i) => b[i] - bh).ToArray());
        _feedsLaterStage = new bool[s];
        for (int i = 0; i < s; i++)
            for (int j = i + 1; j < s; j++)
                if (a[j, i] != 0) _feedsLaterStage[i] = true;
    }

    private static IReadOnlyList<double> Frozen(double[] values) => System.Collections.Immutable.ImmutableArray.Create(values);

    /// <summary>
    /// The highest order a tableau may claim: its conditions are checked tree by tree, and there are 7 813 rooted
    /// trees of order at most 12 (53 272 up to 14, 2.7 million up to 18). Every built-in scheme claims at most 5, and
    /// published explicit schemes up to Feagin's order-12 method fit; a claim above the cap is refused before any tree is built.
    /// </summary>
    public const int MaxOrder = 12;

    private static string HighOrder(string what, int order) =>
        $"the {what} {order} is above {MaxOrder}, the highest order whose conditions are checked (7 813 rooted trees up to order 12)";

    /// <summary>Tolerance on order-condition residuals for coefficients given in float64.</summary>
    public const double ConditionTolerance = 1e-10;

    /// <summary>
    /// Validates a tableau, collecting every failure: shapes, explicitness, c = A·1 and the order
    /// conditions of the claimed orders, each failure naming the violated condition.
    /// </summary>
    public static Validation<Error, ButcherTableau> Create(string name, double[,] a, double[] b, double[] c, int order,
        double[]? bHat = null, int? embeddedOrder = null, double[]? midpointWeights = null)
    {
        int s = b.Length;
        var errors = new List<Error>();
        if (s == 0) errors.Add(RobustNodeErrors.InvalidTableau(name, "b is empty"));
        if (a.GetLength(0) != s || a.GetLength(1) != s)
            errors.Add(RobustNodeErrors.InvalidTableau(name, $"A must be {s}×{s} to match b, got {a.GetLength(0)}×{a.GetLength(1)}"));
        if (c.Length != s) errors.Add(RobustNodeErrors.InvalidTableau(name, $"c has {c.Length} entries, b has {s}"));
        if (bHat is not null && bHat.Length != s) errors.Add(RobustNodeErrors.InvalidTableau(name, $"b̂ has {bHat.Length} entries, b has {s}"));
        if (midpointWeights is not null && midpointWeights.Length != s)
            errors.Add(RobustNodeErrors.InvalidTableau(name, $"mid-point weights have {midpointWeights.Length} entries, b has {s}"));
        if ((bHat is null) != (embeddedOrder is null))
            errors.Add(RobustNodeErrors.InvalidTableau(name, "an embedded method needs both b̂ and its order"));
        if (order < 1) errors.Add(RobustNodeErrors.InvalidTableau(name, $"order must be at least 1, got {order}"));
        if (order > MaxOrder) errors.Add(RobustNodeErrors.InvalidTableau(name, HighOrder("order", order)));
        if (embeddedOrder is < 1) errors.Add(RobustNodeErrors.InvalidTableau(name, $"the embedded order must be at least 1, got {embeddedOrder}"));
        if (embeddedOrder > MaxOrder) errors.Add(RobustNodeErrors.InvalidTableau(name, HighOrder("embedded order", embeddedOrder.Value)));
        var all = a.Cast<double>().Concat(b).Concat(c).Concat(bHat ?? []).Concat(midpointWeights ?? []);
        if (all.Any(v => !double.IsFinite(v))) errors.Add(RobustNodeErrors.InvalidTableau(name, "coefficients must be finite"));
        if (errors.Count > 0) return Fail<Error, ButcherTableau>(Seq(errors));

        for (int i = 0; i < s; i++)
            for (int j = i; j < s; j++)
                if (a[i, j] != 0)
                    errors.Add(RobustNodeErrors.InvalidTableau(name, $"not explicit: a[{i + 1},{j + 1}] = {a[i, j]} must be 0 (A strictly lower triangular)"));
        for (int i = 0; i < s; i++)
        {
            double row = 0;
            for (int j = 0; j < s; j++) row += a[i, j];
            if (Math.Abs(row - c[i]) > ConditionTolerance)
                errors.Add(RobustNodeErrors.InvalidTableau(name, $"inconsistent: c{i + 1} = {c[i]} but row {i + 1} of A sums to {row} (c = A·1)"));
        }
        var matrix = new CoefficientMatrix(a);
        errors.AddRange(OrderConditions.Violations(name, "b", matrix, b, order));
        if (bHat is not null) errors.AddRange(OrderConditions.Violations(name, "b̂", matrix, bHat, embeddedOrder!.Value));
        return errors.Count > 0
            ? Fail<Error, ButcherTableau>(Seq(errors))
            : Success<Error, ButcherTableau>(new ButcherTableau(name, a, b, c, order, bHat, embeddedOrder, midpointWeights));
    }

    /// <summary>Builds a tableau known to be valid (the built-ins); a failure here is a bug.</summary>
    internal static ButcherTableau Known(string name, double[,] a, double[] b, double[] c, int order,
        double[]? bHat = null, int? embeddedOrder = null, double[]? midpointWeights = null) =>
        Create(name, a, b, c, order, bHat, embeddedOrder, midpointWeights).Match(
            Succ: t => t,
            Fail: e => throw new InvalidOperationException(string.Join("; ", e.Map(x => x.Message))));

    /// <summary>Builds A from its rows below the diagonal: row i holds a[i,0..i-1].</summary>
    public static double[,] Lower(params double[][] rows)
    {
        int s = rows.Length;
        var a = new double[s, s];
        for (int i = 0; i < s; i++)
            for (int j = 0; j < rows[i].Length; j++) a[i, j] = rows[i][j];
        return a;
    }
}
