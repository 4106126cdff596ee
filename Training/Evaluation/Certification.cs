using LanguageExt;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Evaluation;

/// <summary>
/// Certified robustness from a Lipschitz bound: if the logits z = f(x) are L-Lipschitz in ℓ2 and the predicted class y
/// beats every other by the margin M = z_y − max_{j≠y} z_j, then no perturbation with ‖δ‖₂ &lt; M/(√2 L) changes the
/// prediction, since each difference z_y − z_j moves by at most √2 L‖δ‖₂ (Tsuzuku, Sato &amp; Sugiyama 2018,
/// "Lipschitz-Margin Training", NeurIPS, Proposition 1). A network ending in an affine read-out W gets the tighter
/// pairwise radius r₂ = min_{j≠y} (z_y − z_j) / (L_body ‖w_y − w_j‖₂) (<see cref="LogitDifferenceBound"/>), never smaller
/// than M/(√2 L). In the other attack norms the ℓ2 radius converts through
/// ‖δ‖₂ ≤ √n ‖δ‖_∞ (n the number of input entries): r_∞ = r₂/√n; and ‖δ‖₂ ≤ ‖δ‖₁: r₁ = r₂.
/// A sample is certified at radius ε when it is classified correctly and its radius exceeds ε (at ε = 0: when it is
/// classified correctly), so certified accuracy never exceeds the accuracy under any attack of that radius.
/// </summary>
public static class Certification
{
    /// <summary>The name of the certified curve in a norm: <c>certified-2</c>, <c>certified-inf</c>, <c>certified-1</c>.</summary>
    internal static string CurveName(AttackNorm norm) => $"certified-{norm}";

    /// <summary>The factor r_q = factor · r₂ that turns an ℓ2 radius into one of the norm q for inputs of n entries.</summary>
    public static double RadiusFactor(AttackNorm norm, long inputEntries) =>
        double.IsPositiveInfinity(norm.Q) ? 1 / Math.Sqrt(inputEntries) : 1;

    /// <summary>The certified radius of every sample of the data set in the norm q (in the network's input units), from the model's Lipschitz bound.</summary>
    public static Fin<CertificationResult> Certify<T>(IBlock<T> model, Dataset data, AttackNorm norm, int chunk = Classification.DefaultChunk) =>
        LipschitzBounds.Of(model, [1, .. data.SampleShape]).Bind(bound => LogitDifferenceBound.Of(model, [1, .. data.SampleShape], bound).Bind(pairs =>
        {
            var engine = model.Engine;
            using var scope = engine.OpenScope();
            var converted = EngineDataset<T>.From(engine, data);
            return Classification.Logits(model, converted.X, chunk).Map(logits =>
            {
                var z = engine.ToArray(logits);
                using var labelScope = NewDisposeScope();
                var labels = data.Labels.to(ScalarType.Int64, CPU).data<long>().ToArray();
                int classes = z.Length / Math.Max(1, labels.Length);
                double factor = RadiusFactor(norm, data.Features);
                var samples = new CertifiedSample[labels.Length];
                for (int i = 0; i < labels.Length; i++)
                {
                    var row = z.AsSpan(i * classes, classes);
                    int prediction = 0;
                    for (int j = 1; j < classes; j++) if (row[j] > row[prediction]) prediction = j;
                    double runnerUp = double.NegativeInfinity;
                    for (int j = 0; j < classes; j++) if (j != prediction) runnerUp = Math.Max(runnerUp, row[j]);
                    double margin = row[prediction] - runnerUp;
                    samples[i] = new CertifiedSample((int)labels[i], prediction, margin, pairs.Radius(row, prediction) * factor);
                }
                return new CertificationResult(bound, norm, data.Features, samples);
            });
        }));
}

/// <summary>One sample's certificate: its label, the predicted class, the logit margin of the prediction and the radius it gives.</summary>
/// <param name="Label">The true class.</param>
/// <param name="Prediction">argmax of the logits.</param>
/// <param name="Margin">z_prediction − max of the other logits (≥ 0).</param>
/// <param name="Radius">No perturbation of smaller norm changes the prediction (network input units).</param>
public sealed record CertifiedSample(int Label, int Prediction, double Margin, double Radius)
{
    /// <summary>True when the prediction is the label.</summary>
    public bool Correct => Label == Prediction;

    /// <summary>Correct, and provably so for every perturbation of norm ε (at ε = 0: correct).</summary>
    public bool CertifiedAt(double epsilon) => Correct && (epsilon <= 0 || Radius > epsilon);
}

/// <summary>The certificates of a data set: the model's bound, the norm, and every sample's radius.</summary>
/// <param name="Bound">The ℓ2 Lipschitz bound of the logits.</param>
/// <param name="Norm">The norm of the radii.</param>
/// <param name="InputEntries">Entries n of one input (for the ℓ∞ conversion).</param>
/// <param name="Samples">One certificate per sample, in order.</param>
public sealed record CertificationResult(LipschitzBound Bound, AttackNorm Norm, long InputEntries, IReadOnlyList<CertifiedSample> Samples)
{
    /// <summary>The fraction of samples certified at radius ε (network input units).</summary>
    public double CertifiedAccuracy(double epsilon) => Samples.Count == 0 ? 0 : Samples.Count(s => s.CertifiedAt(epsilon)) / (double)Samples.Count;

    /// <summary>Certified accuracy at every radius, as a curve named <c>certified-&lt;norm&gt;</c>.</summary>
    public RobustnessCurve Curve(IReadOnlyList<double> epsilons) =>
        new(Certification.CurveName(Norm), epsilons.Select(e => new RobustnessPoint(e, CertifiedAccuracy(e))).ToArray());
}
