using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// The neural-ODE field g(u_k, x) = W_k σ(x) + b_k with controls W [N, d, d], b [N, d]
/// (seed talk, eq. nODE). All derivatives are closed forms:
/// g_xᵀp = σ'(x) ⊙ Wᵀp, g_Wᵀp = p σ(x)ᵀ, g_bᵀp = p, g_x s = W(σ'(x) ⊙ s),
/// ∂ₓ(g_xᵀp)·s = σ''(x) ⊙ s ⊙ Wᵀp, ∂ₓ(g_Wᵀp)·s = p (σ'(x) ⊙ s)ᵀ, ∂ₓ(g_bᵀp)·s = 0.
/// </summary>
public sealed class NeuralOdeField : IVectorField
{
    public LayerGrid Grid { get; }
    public int Dim { get; }
    public Activation Activation { get; }
    public IReadOnlyList<ControlParameter> Controls { get; }
    /// <summary>W [N, d, d].</summary>
    public Tensor Weights => Controls[0].Value;
    /// <summary>b [N, d].</summary>
    public Tensor Biases => Controls[1].Value;

    private readonly Tensor[] _layerWeights;
    private readonly Tensor[] _layerBiases;

    private NeuralOdeField(LayerGrid grid, Tensor weights, Tensor biases, Activation activation)
    {
        Grid = grid;
        Dim = (int)weights.shape[1];
        Activation = activation;
        Controls = [new ControlParameter("weights", weights, true), new ControlParameter("biases", biases, true)];
        // Per-layer views made once: slicing W[k], b[k] on every evaluation costs a libtorch call each time.
        // They share storage with the controls, so in-place parameter updates are seen.
        _layerWeights = weights.unbind(0).Select(w => w.DetachFromDisposeScope()).ToArray();
        _layerBiases = biases.unbind(0).Select(b => b.DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Checks shapes, dtypes and devices before anything reaches libtorch.</summary>
    public static Validation<Error, NeuralOdeField> Create(Tensor weights, Tensor biases, double finalTime, Activation? activation = null)
    {
        var errors = new List<Error>();
        if (weights.dim() != 3 || weights.shape[1] != weights.shape[2])
            errors.Add(RobustNodeErrors.ShapeMismatch("weights", "[N, d, d]", Shape(weights)));
        else if (biases.dim() != 2 || biases.shape[0] != weights.shape[0] || biases.shape[1] != weights.shape[1])
            errors.Add(RobustNodeErrors.ShapeMismatch("biases", $"[{weights.shape[0]}, {weights.shape[1]}]", Shape(biases)));
        if (weights.dtype != biases.dtype) errors.Add(RobustNodeErrors.InvalidArgument("biases", $"dtype {biases.dtype} differs from the weights' {weights.dtype}"));
        if (weights.device.ToString() != biases.device.ToString()) errors.Add(RobustNodeErrors.InvalidArgument("biases", "on a different device from the weights"));
        if (!(finalTime > 0) || !double.IsFinite(finalTime)) errors.Add(RobustNodeErrors.InvalidArgument("T", $"final time must be positive and finite, got {finalTime}"));
        if (errors.Count > 0) return Fail<Error, NeuralOdeField>(Seq(errors));
        return Success<Error, NeuralOdeField>(new NeuralOdeField(new LayerGrid((int)weights.shape[0], finalTime), weights, biases, activation ?? Activation.Tanh));
    }

    public Tensor Evaluate(int layer, double t, Tensor x)
    {
        using var scope = NewDisposeScope();
        return nn.functional.linear(Activation.Value(x), _layerWeights[layer], _layerBiases[layer]).MoveToOuterDisposeScope();
    }

    public FieldCotangent Vjp(int layer, double t, Tensor x, Tensor p)
    {
        using var scope = NewDisposeScope();
        var w = _layerWeights[layer];
        var gx = Activation.Derivative(x).mul_(p.matmul(w));
        var gw = p.t().matmul(Activation.Value(x));
        var gb = p.sum(dim: 0);
        return new FieldCotangent(gx.MoveToOuterDisposeScope(), [gw.MoveToOuterDisposeScope(), gb.MoveToOuterDisposeScope()]);
    }

    public Tensor Jvp(int layer, double t, Tensor x, Tensor s)
    {
        using var scope = NewDisposeScope();
        return (Activation.Derivative(x) * s).matmul(_layerWeights[layer].t()).MoveToOuterDisposeScope();
    }

    public Tensor ControlJvp(int layer, double t, Tensor x, IReadOnlyList<Tensor> eta)
    {
        using var scope = NewDisposeScope();
        return nn.functional.linear(Activation.Value(x), eta[0], eta[1]).MoveToOuterDisposeScope();
    }

    public FieldCotangent SecondOrderVjp(int layer, double t, Tensor x, Tensor p, Tensor s)
    {
        using var scope = NewDisposeScope();
        var gx = Activation.SecondDerivative(x).mul_(s).mul_(p.matmul(_layerWeights[layer]));
        var gw = p.t().matmul(Activation.Derivative(x).mul_(s));
        var gb = zeros_like(_layerBiases[layer]);
        return new FieldCotangent(gx.MoveToOuterDisposeScope(), [gw.MoveToOuterDisposeScope(), gb.MoveToOuterDisposeScope()]);
    }

    public IVectorField WithControls(IReadOnlyList<Tensor> values) =>
        new NeuralOdeField(Grid, values[0], values[1], Activation);

    /// <summary>The closed forms at one stage, with W_k, σ(x), σ'(x) and σ''(x) each computed once, when first needed.</summary>
    public FieldLinearization Linearize(int layer, double t, Tensor x) => new Linearization(this, layer, t, x);

    private sealed class Linearization(NeuralOdeField f, int layer, double t, Tensor x) : FieldLinearization(f, layer, t, x)
    {
        private Tensor? _sigma, _d1, _d2;
        private Tensor W => f._layerWeights[Layer];
        private Tensor Sigma => _sigma ??= f.Activation.Value(State);
        private Tensor D1 => _d1 ??= f.Activation.DerivativeFromValue is { } d ? d(State, Sigma) : f.Activation.Derivative(State);
        private Tensor D2 => _d2 ??= f.Activation.SecondDerivativeFromValues is { } d ? d(State, Sigma, D1) : f.Activation.SecondDerivative(State);

        public override Tensor Value() => nn.functional.linear(Sigma, W, f._layerBiases[Layer]);

        public override Tensor Jvp(Tensor s) => (D1 * s).matmul(W.t());

        public override Tensor ControlJvp(IReadOnlyList<Tensor> eta) => nn.functional.linear(Sigma, eta[0], eta[1]);

        public override FieldCotangent Vjp(Tensor p) => new(D1 * p.matmul(W), [p.t().matmul(Sigma), p.sum(dim: 0)]);

        public override Tensor StateVjp(Tensor p) => D1 * p.matmul(W);

        public override FieldCotangent SecondOrderVjp(Tensor p, Tensor s) =>
            new(D2 * s * p.matmul(W), [p.t().matmul(D1 * s), zeros_like(f._layerBiases[Layer])]);

        public override (FieldCotangent First, FieldCotangent Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s)
        {
            var pw = p.matmul(W);
            var pt = p.t();
            var first = new FieldCotangent(D1 * pw, [pt.matmul(Sigma), p.sum(dim: 0)]);
            var second = new FieldCotangent((D1 * m.matmul(W)).add_(D2 * s * pw), [m.t().matmul(Sigma).add_(pt.matmul(D1 * s)), m.sum(dim: 0)]);
            return (first, second);
        }
    }

    internal static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
