using System.Globalization;
using LanguageExt.Common;
using RobustNode.Core.Fields;

namespace RobustNode.Training.Models;

/// <summary>
/// How a model's ODE block is made of gradient-flow layers x' = s_k A_kᵀσ(A_k x + b_k) instead of the neural-ODE field:
/// the rows of each A_k (filters of each convolution for images), σ, the directions of the layers (a pattern repeated
/// over the layers: ["contractive"] for a non-expansive block, ["contractive", "expansive"] to alternate), and the
/// Lipschitz bound Λ the block keeps when it has expansive layers (each gets the step bound Λ^{1/n_e} − 1, see
/// <see cref="GradientFlowStepRule.ForBlockBound"/>; none: c = 1 each).
/// </summary>
/// <param name="Rows">Rows m of each A_k (filters M of each kernel); null: the state's width.</param>
/// <param name="Activation">σ = γ'; monotone where a layer is contractive.</param>
/// <param name="Pattern">The directions, repeated over the layers.</param>
/// <param name="BlockBound">Λ ≥ 1 kept by the block's expansive layers, or null.</param>
public sealed record GradientFlowLayers(int? Rows, Activation Activation, IReadOnlyList<FlowDirection> Pattern, double? BlockBound = null)
{
    /// <summary>How training keeps the layers on their step rule: projection (the default) or spectral normalisation.</summary>
    public StepRuleEnforcement Enforcement { get; init; } = StepRuleEnforcement.Projection;

    /// <summary>Non-expansive layers of the given activation (every layer contractive).</summary>
    public static GradientFlowLayers NonExpansive(Activation activation, int? rows = null) => new(rows, activation, [FlowDirection.Contractive]);

    /// <summary>The direction of every layer of an N-layer block.</summary>
    public FlowDirection[] Directions(int layers) => Enumerable.Range(0, layers).Select(k => Pattern[k % Pattern.Count]).ToArray();

    /// <summary>The step rule of an N-layer block.</summary>
    public GradientFlowStepRule Rule(int layers)
    {
        int expansive = Directions(layers).Count(d => d == FlowDirection.Expansive);
        var rule = BlockBound is { } bound ? GradientFlowStepRule.ForBlockBound(bound, expansive) : GradientFlowStepRule.Default;
        return rule with { Enforcement = Enforcement };
    }

    /// <summary>Every problem of the settings, each naming its key.</summary>
    public IEnumerable<Error> Problems(int layers)
    {
        if (Rows is < 1) yield return TrainingErrors.InvalidConfiguration("model.rows", $"must be at least 1, got {Rows}");
        if (Pattern.Count == 0) yield return TrainingErrors.InvalidConfiguration("model.directions", "needs at least one direction");
        if (Pattern.Contains(FlowDirection.Contractive) && !Activation.Monotone)
            yield return TrainingErrors.InvalidConfiguration("model.activation",
                $"'{Activation.Name}' is not monotone, so it is not the derivative of a convex potential, which a contractive gradient-flow layer needs");
        if (BlockBound is { } b && !(b >= 1 && double.IsFinite(b)))
            yield return TrainingErrors.InvalidConfiguration("model.blockBound", $"must be at least 1, got {b}");
        if (BlockBound is > 1 && Pattern.Count > 0 && !Directions(layers).Contains(FlowDirection.Expansive))
            yield return TrainingErrors.InvalidConfiguration("model.blockBound", "is for blocks with expansive layers, but every layer is contractive");
    }

    /// <summary>Canonical text: "gradient-flow(rows=8, activation=relu, directions=contractive/expansive, blockBound=2)", with ", stepRule=normalisation" when normalised.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"gradient-flow(rows={(Rows is { } r ? r.ToString(CultureInfo.InvariantCulture) : "width")}, activation={Activation.Name}, directions={string.Join('/', Pattern.Select(d => d.Name()))}{(BlockBound is { } b ? $", blockBound={b:R}" : "")}{(Enforcement == StepRuleEnforcement.Normalisation ? ", stepRule=normalisation" : "")})");
}
