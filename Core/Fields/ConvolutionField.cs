using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// The convolutional neural-ODE field g(u_k, x) = W_k ∗ σ(x) + b_k on image states [B, C, H, W], with
/// kernels W [N, C, C, k, k] (k odd, stride 1, "same" padding) and biases b [N, C] (seed talk, MNIST
/// architecture). Closed forms, with ∗ᵀ the transposed convolution and ⋆ the kernel correlation:
/// g_xᵀp = σ'(x) ⊙ (W ∗ᵀ p), g_Wᵀp = σ(x) ⋆ p, g_bᵀp = Σ p, g_x s = W ∗ (σ'(x) ⊙ s),
/// ∂ₓ(g_xᵀp)·s = σ''(x) ⊙ s ⊙ (W ∗ᵀ p), ∂ₓ(g_Wᵀp)·s = (σ'(x) ⊙ s) ⋆ p.
/// </summary>
public sealed class ConvolutionField : IVectorField
{
    public LayerGrid Grid { get; }
    public int Dim { get; }
    public long[] StateShape { get; }
    public Activation Activation { get; }
    public IReadOnlyList<ControlParameter> Controls { get; }
    private Tensor Kernels => Controls[0].Value;
    private Tensor Biases => Controls[1].Value;
    private long Padding => Kernels.shape[3] / 2;

    private ConvolutionField(LayerGrid grid, Tensor kernels, Tensor biases, long height, long width, Activation activation)
    {
        Grid = grid;
        Activation = activation;
        StateShape = [kernels.shape[1], height, width];
        Dim = (int)(kernels.shape[1] * height * width);
        Controls = [new ControlParameter("kernels", kernels, true), new ControlParameter("biases", biases, true)];
    }

    /// <summary>Checks kernel and bias shapes before anything reaches libtorch.</summary>
    public static Validation<Error, ConvolutionField> Create(Tensor kernels, Tensor biases, long height, long width, double finalTime, Activation? activation = null)
    {
        var errors = new List<Error>();
        if (kernels.dim() != 5 || kernels.shape[1] != kernels.shape[2] || kernels.shape[3] != kernels.shape[4] || kernels.shape[3] % 2 == 0)
            errors.Add(RobustNodeErrors.ShapeMismatch("kernels", "[N, C, C, k, k] with k odd", NeuralOdeField.Shape(kernels)));
        else if (biases.dim() != 2 || biases.shape[0] != kernels.shape[0] || biases.shape[1] != kernels.shape[1])
            errors.Add(RobustNodeErrors.ShapeMismatch("biases", $"[{kernels.shape[0]}, {kernels.shape[1]}]", NeuralOdeField.Shape(biases)));
        if (height < 1 || width < 1) errors.Add(RobustNodeErrors.InvalidArgument("image size", $"must be positive, got {height}×{width}"));
        if (!(finalTime > 0) || !double.IsFinite(finalTime)) errors.Add(RobustNodeErrors.InvalidArgument("T", $"final time must be positive and finite, got {finalTime}"));
        if (errors.Count > 0) return Fail<Error, ConvolutionField>(Seq(errors));
        return Success<Error, ConvolutionField>(new ConvolutionField(new LayerGrid((int)kernels.shape[0], finalTime), kernels, biases, height, width,
            activation ?? Activation.Tanh));
    }

    private Tensor Conv(Tensor z, Tensor kernel, Tensor? bias) => nn.functional.conv2d(z, kernel, bias, padding: [Padding, Padding]);

    private Tensor ConvTranspose(Tensor p, Tensor kernel) => nn.functional.conv_transpose2d(p, kernel, padding: [Padding, Padding]);

    // (a ⋆ p)[o, i, u, v] = Σ_b Σ_{h,w} p[b, o, h, w] a[b, i, h + u − P, w + v − P]: batch plays the channel role.
    private Tensor KernelCorrelation(Tensor a, Tensor p) =>
        nn.functional.conv2d(a.transpose(0, 1), p.transpose(0, 1), padding: [Padding, Padding]).transpose(0, 1);

    public Tensor Evaluate(int layer, double t, Tensor x)
    {
        using var scope = NewDisposeScope();
        return Conv(Activation.Value(x), Kernels[layer], Biases[layer]).MoveToOuterDisposeScope();
    }

    public FieldCotangent Vjp(int layer, double t, Tensor x, Tensor p)
    {
        using var scope = NewDisposeScope();
        var gx = Activation.Derivative(x).mul_(ConvTranspose(p, Kernels[layer]));
        var gw = KernelCorrelation(Activation.Value(x), p);
        var gb = p.sum([0, 2, 3]);
        return new FieldCotangent(gx.MoveToOuterDisposeScope(), [gw.MoveToOuterDisposeScope(), gb.MoveToOuterDisposeScope()]);
    }

    public Tensor Jvp(int layer, double t, Tensor x, Tensor s)
    {
        using var scope = NewDisposeScope();
        return Conv(Activation.Derivative(x).mul_(s), Kernels[layer], null).MoveToOuterDisposeScope();
    }

    public Tensor ControlJvp(int layer, double t, Tensor x, IReadOnlyList<Tensor> eta)
    {
        using var scope = NewDisposeScope();
        return Conv(Activation.Value(x), eta[0], eta[1]).MoveToOuterDisposeScope();
    }

    public FieldCotangent SecondOrderVjp(int layer, double t, Tensor x, Tensor p, Tensor s)
    {
        using var scope = NewDisposeScope();
        var gx = Activation.SecondDerivative(x).mul_(s).mul_(ConvTranspose(p, Kernels[layer]));
        var gw = KernelCorrelation(Activation.Derivative(x).mul_(s), p);
        var gb = zeros_like(Biases[layer]);
        return new FieldCotangent(gx.MoveToOuterDisposeScope(), [gw.MoveToOuterDisposeScope(), gb.MoveToOuterDisposeScope()]);
    }

    public (FieldCotangent First, FieldCotangent Second) SecondOrderReverse(int layer, double t, Tensor x, Tensor kbar, Tensor kbarDot, Tensor xDot)
    {
        using var scope = NewDisposeScope();
        var (s0, s1, s2) = Activation.All(x);
        var kernel = Kernels[layer];
        var a = ConvTranspose(kbar, kernel);
        var aDot = ConvTranspose(kbarDot, kernel);
        var gx1 = s1 * a;
        var gx2 = (s1 * aDot).add_(s2.mul_(xDot).mul_(a));
        var gw1 = KernelCorrelation(s0, kbar);
        // σ(x) ⋆ k̄̇ + (σ'(x) ⊙ ẋ) ⋆ k̄ as one correlation over the stacked batch.
        var gw2 = KernelCorrelation(cat([s0, s1.mul_(xDot)], 0), cat([kbarDot, kbar], 0));
        return (new FieldCotangent(gx1.MoveToOuterDisposeScope(), [gw1.MoveToOuterDisposeScope(), kbar.sum([0, 2, 3]).MoveToOuterDisposeScope()]),
                new FieldCotangent(gx2.MoveToOuterDisposeScope(), [gw2.MoveToOuterDisposeScope(), kbarDot.sum([0, 2, 3]).MoveToOuterDisposeScope()]));
    }

    public IVectorField WithControls(IReadOnlyList<Tensor> values) =>
        new ConvolutionField(Grid, values[0], values[1], StateShape[1], StateShape[2], Activation);
}
