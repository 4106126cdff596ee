using RobustNode.Core.Engines;
using LanguageExt;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// The outcome of testing the defining inequality of an α-averaged operator T on sample pairs (x, y):
/// ‖Tx − Ty‖² ≤ ‖x − y‖² − (1 − α)/α ‖(I − T)x − (I − T)y‖².
/// </summary>
/// <param name="Alpha">The α tested.</param>
/// <param name="Pairs">Number of pairs.</param>
/// <param name="Violations">Pairs whose slack (right side minus left side) is below −tolerance·‖x − y‖².</param>
/// <param name="WorstSlack">The smallest slack relative to ‖x − y‖² (negative: the inequality fails).</param>
/// <param name="SmallestAlpha">
/// The smallest α the pairs allow: max over pairs of 1/(1 + κ), κ = (‖x − y‖² − ‖Tx − Ty‖²)/‖(I − T)x − (I − T)y‖²;
/// +∞ when some pair is expanded (then T is not even non-expansive on the samples).
/// </param>
/// <param name="LargestRatio">max ‖Tx − Ty‖ / ‖x − y‖ over the pairs (an empirical lower bound of the Lipschitz constant).</param>
public sealed record AveragednessCheck(double Alpha, int Pairs, int Violations, double WorstSlack, double SmallestAlpha, double LargestRatio)
{
    /// <summary>True when no pair violates the inequality.</summary>
    public bool Holds => Violations == 0;
}

/// <summary>
/// Tests whether an operator on image batches is α-averaged, i.e. T = (1 − α)I + αN with N non-expansive, which holds
/// exactly when ‖Tx − Ty‖² ≤ ‖x − y‖² − (1 − α)/α ‖(I − T)x − (I − T)y‖² for all x, y. A sample can only refute it; the
/// pairs mix near pairs (local behaviour) and far ones.
/// </summary>
/// <remarks>Bauschke &amp; Combettes, "Convex Analysis and Monotone Operator Theory in Hilbert Spaces", 2nd ed., Proposition 4.35.</remarks>
public static class Averagedness
{
    /// <summary>
    /// Tests the inequality on the pairs (x[i], y[i]) of two batches of the same shape [P, …]. The operator maps a batch
    /// to a batch of the same shape; its failures are passed on.
    /// </summary>
    /// <param name="op">T, applied to whole batches.</param>
    /// <param name="alpha">α ∈ (0, 1].</param>
    /// <param name="x">First points of the pairs [P, …].</param>
    /// <param name="y">Second points [P, …].</param>
    /// <param name="tolerance">Slack allowed for rounding, relative to ‖x − y‖².</param>
    public static Fin<AveragednessCheck> Check(Func<Tensor, Fin<Tensor>> op, double alpha, Tensor x, Tensor y, double tolerance = 1e-9)
    {
        if (!(alpha > 0 && alpha <= 1)) return FinFail<AveragednessCheck>(RobustNodeErrors.InvalidArgument("alpha", $"must lie in (0, 1], got {alpha}"));
        if (!x.shape.SequenceEqual(y.shape) || x.shape.Length < 2)
            return FinFail<AveragednessCheck>(RobustNodeErrors.ShapeMismatch("pairs", $"two batches of one shape [P, …], the first is [{string.Join(", ", x.shape)}]",
                "[" + string.Join(", ", y.shape) + "]"));
        using var scope = NewDisposeScope();
        return from tx in op(x)
               from ty in op(y)
               from _ in tx.shape.SequenceEqual(x.shape) && ty.shape.SequenceEqual(y.shape)
                   ? FinSucc(unit)
                   : FinFail<Unit>(RobustNodeErrors.ShapeMismatch("operator output", "[" + string.Join(", ", x.shape) + "]", "[" + string.Join(", ", tx.shape) + "]"))
               select Measure(alpha, x, y, tx, ty, tolerance);
    }

    /// <summary>
    /// Random pairs of images [P, …]: x uniform in [0, 1], y = x + r·ε with ε ~ N(0, I)/√n and radii r log-spaced from
    /// 1e-3 to 1 over the pairs, from a seed.
    /// </summary>
    public static (Tensor X, Tensor Y) RandomPairs(long[] shape, long seed, ScalarType dtype = ScalarType.Float64)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));
        long pairs = shape[0], n = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var x = rand(shape, ScalarType.Float64, generator: generator);
        var radii = pairs == 1 ? ones(1, ScalarType.Float64) : linspace(-3, 0, pairs, ScalarType.Float64).TimesInPlace(Math.Log(10)).exp_();
        var view = new long[shape.Length];
        System.Array.Fill(view, 1L);
        view[0] = pairs;
        var y = x.Plus(randn(shape, ScalarType.Float64, generator: generator).mul_(radii.view(view).Over(Math.Sqrt(n))));
        return (x.to(dtype).MoveToOuterDisposeScope(), y.to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The averagedness of a gradient step x ↦ x − h∇F for a convex F whose gradient is L-Lipschitz: hL/2 when
    /// 0 &lt; hL &lt; 2 (Baillon–Haddad), e.g. an explicit Euler step of the gradient flow x' = −Aᵀσ(Ax + b) with
    /// L = ‖A‖₂²; None when hL ≥ 2 (the step need not be averaged or even non-expansive).
    /// </summary>
    public static LanguageExt.Option<double> OfGradientStep(double stepSize, double lipschitz) =>
        stepSize > 0 && lipschitz >= 0 && stepSize * lipschitz < 2 ? Some(Math.Max(stepSize * lipschitz / 2, double.Epsilon)) : None;

    /// <summary>
    /// The averagedness of a composition T₁ ∘ T₂ ∘ … of averaged operators, folding the two-operator rule
    /// α = (α₁ + α₂ − 2α₁α₂)/(1 − α₁α₂) (Combettes &amp; Yamada 2015, Proposition 2.5); the composition of α-averaged
    /// layers of a network is averaged with this α.
    /// </summary>
    public static double Compose(IEnumerable<double> alphas) =>
        alphas.Aggregate((a, b) => a * b >= 1 ? 1 : (a + b - 2 * a * b) / (1 - a * b));

    private static AveragednessCheck Measure(double alpha, Tensor x, Tensor y, Tensor tx, Tensor ty, double tolerance)
    {
        Tensor SquaredNorms(Tensor t) => t.to(ScalarType.Float64).flatten(1).pow(TorchScalars.Two).sum([1L]);
        var d = SquaredNorms(x - y).data<double>().ToArray();
        var t = SquaredNorms(tx - ty).data<double>().ToArray();
        var r = SquaredNorms((x - tx) - (y - ty)).data<double>().ToArray();
        double factor = (1 - alpha) / alpha, worst = double.PositiveInfinity, smallest = 0, ratio = 0;
        int violations = 0;
        for (int i = 0; i < d.Length; i++)
        {
            if (d[i] == 0) continue;
            double slack = (d[i] - factor * r[i] - t[i]) / d[i];
            worst = Math.Min(worst, slack);
            if (slack < -tolerance) violations++;
            ratio = Math.Max(ratio, Math.Sqrt(t[i] / d[i]));
            double kappa = d[i] - t[i];
            if (kappa < -tolerance * d[i]) smallest = double.PositiveInfinity;
            else if (r[i] > 0) smallest = Math.Max(smallest, 1 / (1 + Math.Max(kappa, 0) / r[i]));
        }
        return new AveragednessCheck(alpha, d.Length, violations, double.IsPositiveInfinity(worst) ? 0 : worst, smallest, ratio);
    }
}
