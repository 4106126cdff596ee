using RobustNode.Sensitivity.Networks;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Images;

/// <summary>
/// The baseline for the image network: the same network written with tracked tensors as a PyTorch user would —
/// the stem's <c>conv2d</c> + tanh, N Euler steps x ← x + h (W_k ∗ tanh(x) + b_k) with one leaf W_k, b_k per layer,
/// average pooling, <c>linear</c> — and the augmented loss J + ε mean ᵢ‖∇_{x₀ᵢ}ℓᵢ‖₁ by double backpropagation
/// (<c>autograd.grad</c> with <c>create_graph</c>, then the gradient of 𝒥 with respect to every parameter).
/// </summary>
internal sealed class ImageAutograd
{
    private readonly ImageBenchmarkProblem _problem;
    private readonly (Tensor Weight, Tensor Bias, int Stride)[] _stem;
    private readonly Tensor[] _kernels;
    private readonly Tensor[] _biases;
    private readonly (Tensor Weight, Tensor Bias) _head;

    public ImageAutograd(ImageBenchmarkProblem problem, Network<Tensor> network)
    {
        _problem = problem;
        static Tensor Leaf(Tensor t) => t.detach().clone().requires_grad_(true);
        _stem = network.Blocks.OfType<ConvolutionBlock>().Select(c => (Leaf(c.Weight), Leaf(c.Bias), c.Stride)).ToArray();
        var ode = network.Blocks.OfType<OdeBlock<Tensor>>().Single().Parameters;
        _kernels = Enumerable.Range(0, problem.Layers).Select(k => Leaf(ode[0][k])).ToArray();
        _biases = Enumerable.Range(0, problem.Layers).Select(k => Leaf(ode[1][k])).ToArray();
        var linear = network.Blocks.OfType<LinearBlock<Tensor>>().Single().Parameters;
        _head = (Leaf(linear[0]), Leaf(linear[1]));
    }

    private IEnumerable<Tensor> Parameters =>
        _stem.SelectMany(c => new[] { c.Weight, c.Bias }).Concat(_kernels).Concat(_biases).Concat([_head.Weight, _head.Bias]);

    private Tensor Logits(Tensor x)
    {
        foreach (var (weight, bias, stride) in _stem)
            x = nn.functional.conv2d(x, weight, bias, strides: [stride, stride], padding: [1, 1]).tanh();
        double h = _problem.Model.FinalTime / _problem.Layers;
        for (int k = 0; k < _problem.Layers; k++)
            x = x.add(nn.functional.conv2d(x.tanh(), _kernels[k], _biases[k], padding: [1, 1]), h);
        return nn.functional.linear(x.mean([2, 3]), _head.Weight, _head.Bias);
    }

    /// <summary>∇_θ 𝒥 for 𝒥 = mean ᵢ[ℓᵢ + ε‖∇_{x₀ᵢ}ℓᵢ‖₁], the stem's first kernel first.</summary>
    public Tensor[] AugmentedGradient(double epsilon)
    {
        using var enable = enable_grad();
        var x0 = _problem.Images.detach().requires_grad_(true);
        var perSample = nn.functional.cross_entropy(Logits(x0), _problem.Labels, reduction: nn.Reduction.None);
        var p0 = autograd.grad([perSample.sum()], [x0], retain_graph: true, create_graph: true)[0];
        var augmented = perSample.mean() + epsilon * p0.abs().flatten(1).sum(1).mean();
        return autograd.grad([augmented], Parameters.ToArray()).ToArray();
    }
}
