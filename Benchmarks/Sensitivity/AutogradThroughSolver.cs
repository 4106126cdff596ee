using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// The baseline: reverse-mode autograd through the Runge–Kutta loop written with tracked tensors, as a PyTorch
/// user would write it — one leaf parameter per layer (W_k, b_k), one fused <c>linear(tanh(x), W_k, b_k)</c> per
/// stage, <c>add(…, alpha)</c> for the stage combinations — then <c>autograd.grad</c> once (first order), or twice
/// with <c>create_graph</c> and <c>retain_graph</c> (the augmented loss by double backpropagation).
/// </summary>
internal sealed class AutogradThroughSolver
{
    private readonly BenchmarkProblem _problem;
    private readonly Tensor[] _weights;
    private readonly Tensor[] _biases;
    private readonly Tensor _x0;

    public AutogradThroughSolver(BenchmarkProblem problem)
    {
        _problem = problem;
        _weights = Enumerable.Range(0, problem.Layers).Select(k => problem.Weights[k].detach().clone().requires_grad_(true)).ToArray();
        _biases = Enumerable.Range(0, problem.Layers).Select(k => problem.Biases[k].detach().clone().requires_grad_(true)).ToArray();
        _x0 = problem.X0.detach().clone().requires_grad_(true);
    }

    private Tensor FinalState()
    {
        var tab = _problem.Tableau;
        int s = tab.Stages;
        double h = BenchmarkProblem.FinalTime / _problem.Layers;
        var x = _x0;
        var k = new Tensor[s];
        for (int layer = 0; layer < _problem.Layers; layer++)
        {
            for (int i = 0; i < s; i++)
            {
                var xi = x;
                for (int j = 0; j < i; j++)
                    if (tab.A[i, j] != 0) xi = xi.add(k[j], h * tab.A[i, j]);
                k[i] = nn.functional.linear(xi.tanh(), _weights[layer], _biases[layer]);
            }
            var next = x;
            for (int i = 0; i < s; i++)
                if (tab.B[i] != 0) next = next.add(k[i], h * tab.B[i]);
            x = next;
        }
        return x;
    }

    private Tensor PerSample(Tensor xT) => nn.functional.cross_entropy(xT, _problem.Labels, reduction: nn.Reduction.None);

    /// <summary>∇_W J, ∇_b J (stacked over the layers) and ∇_{x₀} J by one backward pass.</summary>
    public Tensor[] Gradient()
    {
        using var enable = enable_grad();
        var loss = PerSample(FinalState()).mean();
        var grads = autograd.grad([loss], [.. _weights, .. _biases, _x0]);
        int n = _problem.Layers;
        return [stack(grads.Take(n)), stack(grads.Skip(n).Take(n)), grads[2 * n]];
    }

    /// <summary>∇_W 𝒥, ∇_b 𝒥 for 𝒥 = mean ℓ + ε mean ‖p(0)‖_{q*} by double backpropagation.</summary>
    public Tensor[] AugmentedGradient(double epsilon, Func<Tensor, Tensor> dualNorm)
    {
        using var enable = enable_grad();
        var losses = PerSample(FinalState());
        var p0 = autograd.grad([losses.sum()], [_x0], create_graph: true, retain_graph: true)[0];
        var augmented = losses.mean() + epsilon * dualNorm(p0).mean();
        var grads = autograd.grad([augmented], [.. _weights, .. _biases]);
        int n = _problem.Layers;
        return [stack(grads.Take(n)), stack(grads.Skip(n))];
    }
}
