using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Tests.Sensitivity.Support;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// The Lipschitz-margin objective J_ε = mean ᵢ CE(τ (zᵢ + mᵢ), yᵢ), m_ij = ε L_body ‖w_{yᵢ} − w_j‖₂ (j ≠ yᵢ), and its
/// gradient: equal to TorchSharp autograd through the same computation in float64 (the margin differentiated through the
/// read-out's rows, L_body held fixed as the objective defines it), and to central finite differences of J_ε on a
/// network whose body bound is locally constant (a contractive gradient-flow block strictly inside its step rule: bound 1),
/// at temperatures τ = 1 and τ ≠ 1 and with read-outs of rows of norm 1 and of orthonormal rows (the gradient is taken
/// at the projected weights; the projection follows the optimizer step); and the same for GloRo's form, the logits beside
/// a bottom class ⊥ = max_{j≠y} (z_j + m_j), and for GloRo's TRADES loss, CE(τz, y) + λ KL([softmax(τz), 0] ‖
/// softmax(τ[z, z_⊥])) with ⊥ raised against the predicted class.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class LipschitzMarginGradients
{
    private const int Batch = 7, Inputs = 5, Hidden = 6, Classes = 4;

    // A read-out with free rows, rows of norm 1 or orthonormal rows, projected onto its constraint.
    private static LinearBlock<Tensor> ReadOut(LinearBlock<Tensor> head, string kind)
    {
        var constrained = head with { RowNorm = kind == "free" ? null : 1.0, Orthonormal = kind == "orthonormal" };
        constrained.Constrain();
        return constrained;
    }

    private static Tensor Labels(Generator g) => randint(0, Classes, [Batch], dtype: int64, generator: g);

    private const double TradesWeight = 1.5;

    // The objective of a form: "raised" (every wrong logit raised), "gloro" (bottom class) or "gloro-trades".
    private static LipschitzMarginObjective Objective(double epsilon, double temperature, string form) => new(epsilon)
    {
        Temperature = temperature, BottomClass = form != "raised", TradesWeight = form == "gloro-trades" ? TradesWeight : null,
    };

    [Theory]
    [InlineData(1, 0.5, 1.0, "free", "raised")]
    [InlineData(2, 1.58, 1.0, "free", "raised")]
    [InlineData(3, 4.0, 1.0, "free", "raised")]
    [InlineData(1, 0.5, 8.0, "free", "raised")]
    [InlineData(2, 1.58, 0.25, "unit-rows", "raised")]
    [InlineData(3, 1.0, 32.0, "unit-rows", "raised")]
    [InlineData(4, 1.58, 16.0, "orthonormal", "raised")]
    [InlineData(1, 0.5, 1.0, "free", "gloro")]
    [InlineData(2, 1.58, 4.0, "free", "gloro")]
    [InlineData(3, 4.0, 1.0, "free", "gloro")]
    [InlineData(2, 1.58, 0.25, "unit-rows", "gloro")]
    [InlineData(4, 1.58, 16.0, "orthonormal", "gloro")]
    [InlineData(1, 0.5, 1.0, "free", "gloro-trades")]
    [InlineData(2, 1.58, 4.0, "free", "gloro-trades")]
    [InlineData(3, 4.0, 1.0, "free", "gloro-trades")]
    [InlineData(2, 1.58, 0.25, "unit-rows", "gloro-trades")]
    [InlineData(4, 1.58, 16.0, "orthonormal", "gloro-trades")]
    public void Lipschitz_margin_gradient_equals_autograd(int seed, double epsilon, double temperature, string readOut, string form)
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var w1 = randn([Hidden, Inputs], dtype: float64, generator: g);
        var b1 = randn([Hidden], dtype: float64, generator: g);
        var w2 = randn([Classes, Hidden], dtype: float64, generator: g);
        var b2 = randn([Classes], dtype: float64, generator: g);
        var x = randn([Batch, Inputs], dtype: float64, generator: g);
        var labels = Labels(g);
        var head = ReadOut(LinearBlock.Create(w2, b2), readOut);
        head.Constrain();
        var network = new Network<Tensor>([LinearBlock.Create(w1, b1), head]);
        var objective = Objective(epsilon, temperature, form) with { WarmupEpochs = 2 };
        var result = Ok(objective.Evaluate(network, x, CrossEntropyLoss.Create(labels), new ObjectiveContext(5, 0, 1)));

        // The same computation in autograd: L_body = ‖W₁‖₂ (a constant), the margin through the rows of W₂.
        double body = Ok(LipschitzBounds.Of(LinearBlock.Create(w1, b1), [1, Inputs])).Value;
        var p = new[] { w1, b1, w2, b2 }.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        var z = nn.functional.linear(nn.functional.linear(x, p[0], p[1]), p[2], p[3]);
        // The wrong logits raised against a reference class r: z_j + ε L_body ‖w_r − w_j‖₂.
        (Tensor Raised, Tensor OneHot) Raise(Tensor reference)
        {
            var onehot = nn.functional.one_hot(reference, Classes).to(float64);
            var difference = p[2].index_select(0, reference).unsqueeze(1) - p[2].unsqueeze(0);           // [B, C, d]: w_r − w_j
            var pairNorms = (difference.pow(2).sum(-1) + onehot).sqrt() * (1 - onehot);                  // 0 at r, finite gradient
            return (z + epsilon * body * pairNorms, onehot);
        }
        Tensor Bottom(Tensor reference)
        {
            var (raised, onehot) = Raise(reference);
            return cat([z, (raised - 1e9 * onehot).max(1, keepdim: true).values], 1);
        }
        Tensor loss;
        if (form == "gloro-trades")
        {
            // CE(τz, y) + λ KL([softmax(τz), 0] ‖ softmax(τ[z, z_⊥])), ⊥ against the prediction.
            var clean = nn.functional.log_softmax(temperature * z, 1);
            var full = nn.functional.log_softmax(temperature * Bottom(z.argmax(1)), 1).narrow(1, 0, Classes);
            var divergence = (clean.exp() * (clean - full)).sum(1);
            loss = (nn.functional.cross_entropy(temperature * z, labels, reduction: nn.Reduction.None) + TradesWeight * divergence).mean();
        }
        else
            // GloRo: the logits beside ⊥ = max_{j≠y} of the raised ones; otherwise every wrong logit raised.
            loss = nn.functional.cross_entropy(temperature * (form == "gloro" ? Bottom(labels) : Raise(labels).Raised), labels);
        var expected = autograd.grad([loss], p);

        Assert.True(Math.Abs(loss.item<double>() - result.Objective) <= 1e-12 * Math.Max(1, Math.Abs(result.Objective)),
            $"objective: autograd {loss.item<double>():R}, closed form {result.Objective:R}");
        Assert.Equal(nn.functional.cross_entropy(z, labels).item<double>(), result.Loss, 12);
        for (int i = 0; i < p.Length; i++)
            Assert.True(MaxAbsDifference(expected[i], result.Gradients[i]) < 1e-10,
                $"parameter {i}: |autograd − closed form| = {MaxAbsDifference(expected[i], result.Gradients[i]):E2}");
    }

    [Theory]
    [InlineData(4, 1.0, 1.0, "free", "raised")]
    [InlineData(5, 2.5, 1.0, "free", "raised")]
    [InlineData(4, 1.0, 16.0, "unit-rows", "raised")]
    [InlineData(6, 0.5, 4.0, "free", "raised")]
    [InlineData(7, 1.58, 8.0, "orthonormal", "raised")]
    [InlineData(4, 1.0, 1.0, "free", "gloro")]
    [InlineData(6, 0.5, 4.0, "free", "gloro")]
    [InlineData(7, 1.58, 8.0, "orthonormal", "gloro")]
    [InlineData(4, 1.0, 1.0, "free", "gloro-trades")]
    [InlineData(6, 0.5, 4.0, "free", "gloro-trades")]
    [InlineData(7, 1.58, 8.0, "orthonormal", "gloro-trades")]
    public void Lipschitz_margin_gradient_matches_finite_differences(int seed, double epsilon, double temperature, string readOut, string form)
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        const int layers = 3, rows = 8;
        var a = randn([layers, rows, Inputs], dtype: float64, generator: g).Times(0.5);
        var bias = randn([layers, rows], dtype: float64, generator: g);
        // T chosen so that each Euler step keeps h·L ≤ 1.5 < 2: the body's bound stays 1 under small perturbations.
        double largest = Enumerable.Range(0, layers).Max(k => linalg.matrix_norm(a[k], 2).item<double>());
        double finalTime = layers * 1.5 / (largest * largest);
        var field = GradientFlowField.Create(a, bias, finalTime, Activation.Tanh, [FlowDirection.Contractive]).Ok();
        var network = new Network<Tensor>([
            OdeBlock.Create(field, SolverCatalog.Fixed(Tableaux.Euler)),
            ReadOut(LinearBlock.Create(randn([Classes, Inputs], dtype: float64, generator: g), randn([Classes], dtype: float64, generator: g)), readOut)]);
        Ok(StepConstraints.Restore(network));
        Assert.Equal(1.0, Ok(LipschitzBounds.Of(new Network<Tensor>([network.Blocks[0]]), [1, Inputs])).Value);
        var x = randn([Batch, Inputs], dtype: float64, generator: g);
        var loss = CrossEntropyLoss.Create(Labels(g));
        var objective = Objective(epsilon, temperature, form);
        var context = new ObjectiveContext(0, 0, 1);
        var result = Ok(objective.Evaluate(network, x, loss, context));

        var directions = network.Parameters.Select(t => randn(t.shape, dtype: float64, generator: g)).ToArray();
        double Value(double t)
        {
            var moved = network.WithParameters(network.Parameters.Zip(directions, (q, v) => q + t * v).ToArray());
            return Ok(objective.Evaluate(moved, x, loss, context)).Objective;
        }
        const double step = 1e-5;
        double finite = (Value(step) - Value(-step)) / (2 * step);
        double exact = result.Gradients.Zip(directions, (gr, v) => (gr * v).sum().item<double>()).Sum();
        Assert.True(Math.Abs(finite - exact) <= 1e-7 * Math.Max(1, Math.Abs(exact)), $"finite differences {finite:R}, closed form {exact:R}");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_temperature_that_is_not_positive_and_finite_is_refused_naming_it(double temperature)
    {
        var refused = new LipschitzMarginObjective(0.5) { Temperature = temperature }.Validate();
        Assert.True(refused.IsFail);
        refused.IfFail(e => Assert.Contains("temperature", e.Message));
    }

    [Fact]
    public void At_temperature_one_the_objective_is_the_untempered_one_and_tau_scales_the_logits()
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator(10);
        var network = new Network<Tensor>([
            LinearBlock.Create(randn([Hidden, Inputs], dtype: float64, generator: g), randn([Hidden], dtype: float64, generator: g)),
            LinearBlock.Create(randn([Classes, Hidden], dtype: float64, generator: g), randn([Classes], dtype: float64, generator: g))]);
        var x = randn([Batch, Inputs], dtype: float64, generator: g);
        var loss = CrossEntropyLoss.Create(Labels(g));
        var context = new ObjectiveContext(0, 0, 1);
        var plain = Ok(new LipschitzMarginObjective(0.7).Evaluate(network, x, loss, context));
        var one = Ok(new LipschitzMarginObjective(0.7) { Temperature = 1 }.Evaluate(network, x, loss, context));
        Assert.Equal(plain.Objective, one.Objective);
        for (int i = 0; i < plain.Gradients.Count; i++) Assert.Equal(0.0, MaxAbsDifference(plain.Gradients[i], one.Gradients[i]));
        // τ (z + m) with both the read-out and the margin scaled: J at τ = 3 is J at τ = 1 with W and b multiplied by 3.
        var head = (LinearBlock<Tensor>)network.Blocks[1];
        var scaled = new Network<Tensor>([network.Blocks[0], head with { Weight = head.Weight * 3, Bias = head.Bias * 3 }]);
        var hot = Ok(new LipschitzMarginObjective(0.7) { Temperature = 3 }.Evaluate(network, x, loss, context));
        Assert.Equal(Ok(new LipschitzMarginObjective(0.7).Evaluate(scaled, x, loss, context)).Objective, hot.Objective, 12);
        Assert.Equal(plain.Loss, hot.Loss, 14);   // the reported loss is the clean cross-entropy, at τ = 1
    }

    [Fact]
    public void The_margin_gradient_vanishes_at_epsilon_zero_and_the_objective_is_the_cross_entropy()
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator(9);
        var network = new Network<Tensor>([
            LinearBlock.Create(randn([Hidden, Inputs], dtype: float64, generator: g), randn([Hidden], dtype: float64, generator: g)),
            LinearBlock.Create(randn([Classes, Hidden], dtype: float64, generator: g), randn([Classes], dtype: float64, generator: g))]);
        var x = randn([Batch, Inputs], dtype: float64, generator: g);
        var loss = CrossEntropyLoss.Create(Labels(g));
        var margin = Ok(new LipschitzMarginObjective(1.0) { WarmupEpochs = 3 }.Evaluate(network, x, loss, new ObjectiveContext(0, 0, 1)));
        var standard = Ok(new StandardObjective().Evaluate(network, x, loss, new ObjectiveContext(0, 0, 1)));
        Assert.Equal(standard.Objective, margin.Objective, 14);
        for (int i = 0; i < standard.Gradients.Count; i++) Assert.True(MaxAbsDifference(standard.Gradients[i], margin.Gradients[i]) < 1e-14);
    }
}
