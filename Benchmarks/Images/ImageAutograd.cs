using RobustNode.Sensitivity.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Images;

/// <summary>
/// The baseline for the image network: the same network written with tracked tensors as a PyTorch user would —
/// the stem's <c>conv2d</c> + tanh, N Euler steps x ← x + h (W_k ∗ tanh(x) + b_k) with one parameter W_k, b_k per layer,
/// average pooling, <c>linear</c> — the loss J by one backward pass and the augmented loss J + ε mean ᵢ‖∇_{x₀ᵢ}ℓᵢ‖₁ by
/// double backpropagation (<c>autograd.grad</c> with <c>create_graph</c>, then the gradient of 𝒥 with respect to every
/// parameter). Its parameters are copies of a RobustNode network's, so both start from the same weights.
/// </summary>
internal sealed class ImageAutograd
{
    private readonly (Parameter Weight, Parameter Bias, int Stride)[] _stem;
    private readonly Parameter[] _kernels;
    private readonly Parameter[] _biases;
    private readonly (Parameter Weight, Parameter Bias) _head;
    private readonly double _step;

    /// <param name="network">The RobustNode network whose architecture and weights are copied.</param>
    /// <param name="finalTime">T of the ODE block (its N Euler steps have size T/N).</param>
    public ImageAutograd(Network<Tensor> network, double finalTime)
    {
        static Parameter Leaf(Tensor t) => new(t.detach().clone(), requires_grad: true);
        _stem = network.Blocks.OfType<ConvolutionBlock>().Select(c => (Leaf(c.Weight), Leaf(c.Bias), c.Stride)).ToArray();
        var ode = network.Blocks.OfType<OdeBlock<Tensor>>().Single().Parameters;
        int layers = (int)ode[0].shape[0];
        _kernels = Enumerable.Range(0, layers).Select(k => Leaf(ode[0][k])).ToArray();
        _biases = Enumerable.Range(0, layers).Select(k => Leaf(ode[1][k])).ToArray();
        var linear = network.Blocks.OfType<LinearBlock<Tensor>>().Single().Parameters;
        _head = (Leaf(linear[0]), Leaf(linear[1]));
        _step = finalTime / layers;
    }

    /// <summary>Every parameter, the stem's first kernel first.</summary>
    public IReadOnlyList<Parameter> Parameters =>
        _stem.SelectMany(c => new[] { c.Weight, c.Bias }).Concat(_kernels).Concat(_biases).Concat([_head.Weight, _head.Bias]).ToArray();

    public Tensor Logits(Tensor x)
    {
        foreach (var (weight, bias, stride) in _stem)
            x = nn.functional.conv2d(x, weight, bias, strides: [stride, stride], padding: [1, 1]).tanh();
        for (int k = 0; k < _kernels.Length; k++)
            x = x.add(nn.functional.conv2d(x.tanh(), _kernels[k], _biases[k], padding: [1, 1]), _step);
        return nn.functional.linear(x.mean([2, 3]), _head.Weight, _head.Bias);
    }

    /// <summary>The per-sample losses ℓᵢ of a batch and the logits.</summary>
    private (Tensor PerSample, Tensor Logits) Losses(Tensor images, Tensor labels)
    {
        var logits = Logits(images);
        return (nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None), logits);
    }

    /// <summary>J = mean ℓᵢ, ready for <c>backward()</c>, with J itself and the logits.</summary>
    public (Tensor Objective, Tensor Loss, Tensor Logits) Standard(Tensor images, Tensor labels)
    {
        var (perSample, logits) = Losses(images, labels);
        var loss = perSample.mean();
        return (loss, loss, logits);
    }

    /// <summary>𝒥 = mean ᵢ[ℓᵢ + ε‖∇_{x₀ᵢ}ℓᵢ‖₁] with its graph (for a second backward pass), with J and the logits.</summary>
    public (Tensor Objective, Tensor Loss, Tensor Logits) Augmented(Tensor images, Tensor labels, double epsilon)
    {
        var x0 = images.detach().requires_grad_(true);
        var (perSample, logits) = Losses(x0, labels);
        var p0 = autograd.grad([perSample.sum()], [x0], retain_graph: true, create_graph: true)[0];
        var loss = perSample.mean();
        return (loss + epsilon * p0.abs().flatten(1).sum(1).mean(), loss, logits);
    }

    /// <summary>∇_θ J by one backward pass, the stem's first kernel first.</summary>
    public Tensor[] Gradient(Tensor images, Tensor labels)
    {
        using var enable = enable_grad();
        var (objective, _, _) = Standard(images, labels);
        return autograd.grad([objective], Parameters.Cast<Tensor>().ToArray()).ToArray();
    }

    /// <summary>∇_θ 𝒥 for 𝒥 = mean ᵢ[ℓᵢ + ε‖∇_{x₀ᵢ}ℓᵢ‖₁], the stem's first kernel first.</summary>
    public Tensor[] AugmentedGradient(Tensor images, Tensor labels, double epsilon)
    {
        using var enable = enable_grad();
        var (objective, _, _) = Augmented(images, labels, epsilon);
        return autograd.grad([objective], Parameters.Cast<Tensor>().ToArray()).ToArray();
    }
}
