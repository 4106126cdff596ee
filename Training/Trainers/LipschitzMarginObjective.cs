using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Trainers;

/// <summary>
/// Lipschitz-margin training: minimise the cross-entropy at logits whose wrong classes are raised by what an ℓ2
/// perturbation of size ε could add to them, at a temperature τ,
/// J_ε = mean ᵢ ℓ(τ (zᵢ + mᵢ), yᵢ),   m_ij = ε K_{yᵢ j} (j ≠ yᵢ), m_{i yᵢ} = 0,
/// with K_ij the Lipschitz bound of z_i − z_j (<see cref="LogitDifferenceBound"/>: L_body ‖w_i − w_j‖₂ through an affine
/// read-out W, √2 L otherwise). A sample whose shifted logits still put yᵢ first is certified at radius ε, so driving
/// J_ε down drives the certified accuracy at ε up. τ = 1 is Tsuzuku et al.'s loss. With <see cref="BottomClass"/> the
/// raised logits meet the cross-entropy as GloRo's bottom class instead, J_ε = mean ᵢ ℓ_⊥(zᵢ) with
/// z_⊥ = max_{j≠yᵢ} (z_j + m_ij) beside the unraised logits (<see cref="BottomClassLoss{T}"/>), and with
/// <see cref="TradesWeight"/> λ as GloRo's TRADES loss, CE(zᵢ, yᵢ) + λ KL(clean ‖ with ⊥), ⊥ raised against the
/// predicted class (<see cref="BottomClassTradesLoss{T}"/>).
/// </summary>
/// <remarks>
/// <para>Tsuzuku, Sato &amp; Sugiyama, "Lipschitz-Margin Training: Scalable Certification of Perturbation Invariance for
/// Deep Neural Networks", NeurIPS 2018 (the margin √2 L ε added to every wrong logit); the pairwise read-out margin
/// is GloRo's (Leino, Wang &amp; Fredrikson, ICML 2021, §3), whose ⊥ logit max_j (z_j + m_j) the default form replaces
/// by the soft maximum of the cross-entropy over the raised logits. The two differ in what they reward: the raised
/// cross-entropy pushes every wrong class away by its margin, GloRo's only the one that threatens the certificate and
/// otherwise rewards the clean gap.</para>
/// <para>Temperature (Béthune et al., "Pay attention to your loss: understanding misconceptions about 1-Lipschitz neural
/// networks", NeurIPS 2022): z and m both scale with the read-out, so without a floor on that scale the objective can
/// trade every gap for a smaller margin down to W = 0, where J = log C. With a read-out whose scale is fixed (rows of
/// norm 1), τ is the one scale left: a large τ makes the loss a hinge on the certified margin (robustness), a small one
/// keeps rewarding larger gaps of already certified samples (accuracy).</para>
/// <para>Gradient. With P = ∂J_ε/∂z = τ (softmax(τ (z + m)) − e_y)/B per row (GloRo's: P = ∂J_ε/∂m, τ P_⊥ at the class
/// that raised ⊥; under TRADES at the pair of the predicted class), the logits' part flows back through the network's
/// adjoint sweeps (<see cref="LossDerivatives.Gradient{T}"/> with the offset loss); the margin's dependence on the read-out
/// rows is differentiated in closed form: ∂m_ij/∂w_{yᵢ} = ε L_body u_ij, ∂m_ij/∂w_j = −ε L_body u_ij, u_ij =
/// (w_{yᵢ} − w_j)/‖w_{yᵢ} − w_j‖₂, so ∂J_ε/∂w_{yᵢ} gains Σ_{j≠yᵢ} P_ij ε L_body u_ij and ∂J_ε/∂w_j loses P_ij ε L_body u_ij
/// (P_ij ≥ 0 off the label). The body's bound L_body is held fixed within a step: it is a product of spectral norms,
/// which the projections after each step keep at or below their budgets, not a smooth function the step should follow.</para>
/// </remarks>
/// <param name="Epsilon">The training radius ε in the network's input units (ℓ2).</param>
public sealed record LipschitzMarginObjective(double Epsilon) : ITrainingObjective
{
    /// <summary>Warm-up length K in epochs: ε grows from 0 (linear) or 0.01 ε (logarithmic) at epoch 0 to its value at epoch K (0: none).</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>How ε grows over the warm-up: linearly (default) or by GloRo's logarithmic schedule.</summary>
    public WarmupShape WarmupShape { get; init; }

    /// <summary>The temperature τ &gt; 0 the cross-entropy sees the raised logits at (1: Tsuzuku et al.'s loss).</summary>
    public double Temperature { get; init; } = 1;

    /// <summary>GloRo's bottom class ⊥ in place of the raised cross-entropy (report name <c>gloro</c>).</summary>
    public bool BottomClass { get; init; }

    /// <summary>
    /// With <see cref="BottomClass"/>: GloRo's TRADES loss with this weight λ ≥ 0 of the divergence in place of the
    /// cross-entropy with ⊥ (report name <c>gloro-trades</c>; null: none).
    /// </summary>
    public double? TradesWeight { get; init; }

    /// <inheritdoc/>
    public string Name => !BottomClass ? "lipschitz-margin" : TradesWeight is null ? "gloro" : "gloro-trades";

    /// <inheritdoc/>
    public Fin<ITrainingObjective> Validate() => ObjectiveChecks.Collect(this, ObjectiveChecks.Radius(Epsilon)
        .Concat(ObjectiveChecks.Schedule(WarmupEpochs, null)).Concat(LossChecks()));

    private IEnumerable<Error> LossChecks()
    {
        if (!(Temperature > 0) || !double.IsFinite(Temperature))
            yield return TrainingErrors.InvalidConfiguration("objective.temperature", $"must be finite and positive, got {Temperature}");
        if (TradesWeight is { } weight && (!(weight >= 0) || !double.IsFinite(weight)))
            yield return TrainingErrors.InvalidConfiguration("objective.tradesWeight", $"must be finite and non-negative, got {weight}");
        if (!Enum.IsDefined(WarmupShape))
            yield return TrainingErrors.InvalidConfiguration("objective.warmupShape", $"must be linear or logarithmic, got {(int)WarmupShape}");
        if (TradesWeight is not null && !BottomClass)
            yield return TrainingErrors.InvalidConfiguration("objective.tradesWeight", "GloRo's TRADES loss needs the bottom class");
    }

    /// <inheritdoc/>
    public Fin<ObjectiveResult<T>> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, ObjectiveContext context)
    {
        if (loss is not IClassificationLoss<T> { ScoresAreFinalStates: true } classes)
            return FinFail<ObjectiveResult<T>>(TrainingErrors.InvalidConfiguration("objective",
                "Lipschitz-margin training needs a classification loss of the network's logits (class labels, no read-out in the loss)"));
        if (BottomClass && loss is not CrossEntropyLoss<T>)
            return FinFail<ObjectiveResult<T>>(TrainingErrors.InvalidConfiguration("objective",
                $"GloRo training adds its bottom class to a cross-entropy, got the loss '{loss.Name}'"));
        var engine = model.Engine;
        double epsilon = Warmup.Ramp(Epsilon, context.Epoch, WarmupEpochs, WarmupShape);
        return LogitDifferenceBound.Of(model, engine.Shape(x)).Bind(bounds =>
        {
            using var scope = engine.OpenScope();
            var labels = engine.ToArray(classes.Labels).Select(l => (int)l).ToArray();
            int c = bounds.Classes;
            var (shifted, offsetGradient) = MarginLoss(loss, engine, labels, MarginMatrix(bounds, epsilon), c, x);
            return LossDerivatives.ControlGradient(model, x, shifted).Map(g =>
            {
                var gradients = g.ControlGradients.ToArray();
                if (bounds.Pairwise && epsilon > 0)
                {
                    int weight = gradients.Length - 2;   // the read-out's W, before its bias
                    var head = (LinearBlock<T>)((Network<T>)model).Blocks[^1];
                    var (rows, references) = offsetGradient(g.FinalState);
                    var extra = MarginWeightGradient(engine.ToArray(head.Weight), rows, references, c, epsilon * bounds.Body.Value);
                    gradients[weight] = engine.Add(gradients[weight], engine.FromValues(extra, gradients[weight], engine.Shape(head.Weight)));
                }
                double clean = engine.Mean(loss.PerSample(g.FinalState));
                var result = new ObjectiveResult<T>(clean, g.Loss, gradients, g.FinalState);
                return result.Keep(engine);
            });
        });
    }

    // M_aj = ε K_aj for a ≠ j, 0 on the diagonal: the margin of class j against class a.
    private static double[] MarginMatrix(LogitDifferenceBound bounds, double epsilon)
    {
        int c = bounds.Classes;
        var margins = new double[c * c];
        for (int a = 0; a < c; a++)
            for (int j = 0; j < c; j++)
                margins[a * c + j] = j == a ? 0 : epsilon * bounds.Of(a, j);
        return margins;
    }

    // The loss at the margins and its gradient at the logits: the rows ∂ℓᵢ/∂M_{rᵢ j} with the class rᵢ each row is raised against.
    private (ILoss<T> Loss, Func<T, (double[] Rows, int[] References)> OffsetGradient) MarginLoss<T>(
        ILoss<T> loss, IEngine<T> engine, int[] labels, double[] margins, int classes, T like)
    {
        var longLabels = labels.Select(l => (long)l).ToArray();
        if (BottomClass && TradesWeight is { } weight)
        {
            var trades = new BottomClassTradesLoss<T>(engine, longLabels, margins, classes, Temperature, weight);
            return (trades, trades.MarginGradient);
        }
        // Each sample's margins against its label: the rows of M at the labels.
        var offsets = new double[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++) margins.AsSpan(labels[i] * classes, classes).CopyTo(offsets.AsSpan(i * classes));
        if (BottomClass)
        {
            var bottom = new BottomClassLoss<T>(engine, longLabels, offsets, classes, Temperature);
            return (bottom, z => (bottom.OffsetGradient(z), labels));
        }
        // ℓ(τ (z + m)): the offset first, then the temperature (τ = 1 leaves the loss itself, bit for bit); ∂ℓ/∂m = ∂ℓ/∂z.
        var scaled = Temperature == 1 ? loss : new TemperedLoss<T>(loss, Temperature);
        var shifted = new OffsetLoss<T>(scaled, engine.FromValues(offsets, like, labels.Length, classes));
        return (shifted, z => (engine.ToArray(shifted.Gradient(z)), labels));
    }

    /// <summary>
    /// ∂/∂W of (1/B) Σᵢ Σ_{j≠rᵢ} P_ij m_ij with m_ij = s ‖w_{rᵢ} − w_j‖₂ (s = ε L_body), rᵢ the class sample i's margins
    /// are taken against (its label; under TRADES its prediction) and P the per-sample gradient of the loss in those
    /// margins, held fixed: the margin's part of the read-out's gradient (see the remarks).
    /// </summary>
    internal static double[] MarginWeightGradient(double[] w, double[] p, int[] references, int classes, double s)
    {
        int features = w.Length / classes, batch = references.Length;
        var g = new double[w.Length];
        var coefficient = new double[classes * classes];   // Σᵢ with rᵢ = a of P_ib, for each pair (a, b)
        for (int i = 0; i < batch; i++)
            for (int j = 0; j < classes; j++)
                if (j != references[i]) coefficient[references[i] * classes + j] += p[i * classes + j];
        var norms = LogitDifferenceBound.PairwiseDistances(w, classes, features);
        for (int a = 0; a < classes; a++)
            for (int b = 0; b < classes; b++)
            {
                double weight = coefficient[a * classes + b], norm = norms[a * classes + b];
                if (a == b || weight == 0 || norm == 0) continue;   // a zero difference has the subgradient 0
                double f = s * weight / (batch * norm);
                for (int k = 0; k < features; k++)
                {
                    double u = f * (w[a * features + k] - w[b * features + k]);
                    g[a * features + k] += u;
                    g[b * features + k] -= u;
                }
            }
        return g;
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant($"{Name}(epsilon={Epsilon:R}, warmup={WarmupEpochs}")
        + (WarmupShape == WarmupShape.Linear ? "" : ", warmupShape=logarithmic")
        + (Temperature == 1 ? "" : FormattableString.Invariant($", temperature={Temperature:R}"))
        + (TradesWeight is { } weight ? FormattableString.Invariant($", weight={weight:R}") : "") + ")";
}
