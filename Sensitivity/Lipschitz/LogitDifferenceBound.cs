using LanguageExt;
using RobustNode.Sensitivity.Networks;

namespace RobustNode.Sensitivity.Lipschitz;

/// <summary>
/// Bounds K_ij of the ℓ2 Lipschitz constants of the logit differences z_i − z_j of a classifier, and the certified radius
/// they give. For a network f = head ∘ body that ends in an affine read-out z = W h + b,
/// |(z_i − z_j)(x + δ) − (z_i − z_j)(x)| = |(w_i − w_j)ᵀ(h(x + δ) − h(x))| ≤ ‖w_i − w_j‖₂ · L_body · ‖δ‖₂, so
/// K_ij = L_body ‖w_i − w_j‖₂; for any other network K_ij = √2 L, since ‖e_i − e_j‖₂ = √2. The pairwise form is never
/// looser: ‖w_i − w_j‖₂ = ‖Wᵀ(e_i − e_j)‖₂ ≤ √2 ‖W‖₂.
/// </summary>
/// <remarks>
/// The prediction y of x is unchanged by every δ with ‖δ‖₂ &lt; r = min_{j≠y} (z_y − z_j) / K_yj, since each difference
/// z_y − z_j stays positive there. With K_ij = √2 L this is Tsuzuku, Sato &amp; Sugiyama 2018 ("Lipschitz-Margin Training",
/// NeurIPS, Proposition 1); the pairwise read-out form is the margin GloRo certifies (Leino, Wang &amp; Fredrikson 2021,
/// "Globally-Robust Neural Networks", ICML, §3: K_ij = ‖w_i − w_j‖ · L_body).
/// </remarks>
/// <param name="Body">The bound of the network before the read-out (the whole network's when there is no affine read-out).</param>
/// <param name="Classes">The number of logits C.</param>
/// <param name="PairNorms">‖w_i − w_j‖₂ row-major [C, C] (√2 off the diagonal without a read-out).</param>
/// <param name="Pairwise">True when the bounds come from the read-out's rows (false: √2 L).</param>
public sealed record LogitDifferenceBound(LipschitzBound Body, int Classes, IReadOnlyList<double> PairNorms, bool Pairwise)
{
    /// <summary>K_ij = L_body ‖w_i − w_j‖₂.</summary>
    public double Of(int i, int j) => Body.Value * PairNorms[i * Classes + j];

    /// <summary>
    /// The bounds of a model on inputs of the given shape [B, …]: pairwise through its read-out when it is a network
    /// ending in a <see cref="LinearBlock{T}"/>, √2 L otherwise.
    /// </summary>
    public static Fin<LogitDifferenceBound> Of<T>(IBlock<T> model, long[] inputShape) =>
        ReadOut(model) is ({ } body, { } head)
            ? LipschitzBounds.Of(body, inputShape).Map(bound => ThroughReadOut(bound, head))
            : LipschitzBounds.Of(model, inputShape).Bind(whole => Uniform(model, inputShape, whole));

    /// <summary>
    /// The same from the model's own bound <paramref name="whole"/> (<see cref="LipschitzBounds.Of{T}"/>), for a caller
    /// that has it, so the blocks are not bounded again: through a read-out the body's bound is the product of every
    /// factor but the read-out's, which is the last one.
    /// </summary>
    internal static Fin<LogitDifferenceBound> Of<T>(IBlock<T> model, long[] inputShape, LipschitzBound whole)
    {
        if (ReadOut(model) is not (_, { } head)) return Uniform(model, inputShape, whole);
        var factors = whole.Factors.Take(whole.Factors.Count - 1).ToArray();
        return ThroughReadOut(new LipschitzBound(factors.Aggregate(1.0, (l, f) => l * f.Bound), factors), head);
    }

    // A network of at least two blocks that ends in an affine read-out: its body and its head.
    private static (Network<T>? Body, LinearBlock<T>? Head) ReadOut<T>(IBlock<T> model) =>
        model is Network<T> { Blocks.Count: >= 2 } network && network.Blocks[^1] is LinearBlock<T> head
            ? (new Network<T>([.. network.Blocks.Take(network.Blocks.Count - 1)]), head)
            : (null, null);

    private static LogitDifferenceBound ThroughReadOut<T>(LipschitzBound body, LinearBlock<T> head)
    {
        var shape = head.Engine.Shape(head.Weight);
        int classes = (int)shape[0], features = (int)shape[1];
        return new LogitDifferenceBound(body, classes, PairwiseDistances(head.Engine.ToArray(head.Weight), classes, features), true);
    }

    private static Fin<LogitDifferenceBound> Uniform<T>(IBlock<T> model, long[] inputShape, LipschitzBound whole) =>
        model.OutputShape(inputShape).Map(output =>
        {
            int classes = (int)output[^1];
            var norms = new double[classes * classes];
            for (int i = 0; i < classes; i++)
                for (int j = 0; j < classes; j++) norms[i * classes + j] = i == j ? 0 : Math.Sqrt(2);
            return new LogitDifferenceBound(whole, classes, norms, false);
        });

    /// <summary>‖w_i − w_j‖₂ for the rows of W [C, d] (row-major), as a row-major [C, C] array.</summary>
    public static double[] PairwiseDistances(ReadOnlySpan<double> w, int classes, int features)
    {
        var norms = new double[classes * classes];
        for (int i = 0; i < classes; i++)
            for (int j = i + 1; j < classes; j++)
            {
                double s = 0;
                for (int k = 0; k < features; k++)
                {
                    double d = w[i * features + k] - w[j * features + k];
                    s += d * d;
                }
                norms[i * classes + j] = norms[j * classes + i] = Math.Sqrt(s);
            }
        return norms;
    }

    /// <summary>
    /// The certified ℓ2 radius of logits z predicting class y: min_{j≠y} (z_y − z_j)/K_yj (a pair with K_yj = 0 and
    /// z_y &gt; z_j never changes order; with z_y ≤ z_j it certifies nothing).
    /// </summary>
    public double Radius(ReadOnlySpan<double> logits, int prediction)
    {
        double radius = double.PositiveInfinity;
        for (int j = 0; j < Classes; j++)
        {
            if (j == prediction) continue;
            double gap = logits[prediction] - logits[j], k = Of(prediction, j);
            if (gap <= 0) return 0;
            if (k > 0) radius = Math.Min(radius, gap / k);
        }
        return radius;
    }
}
