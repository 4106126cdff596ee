using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Networks;

/// <summary>
/// A network stem → ODE block → head is differentiated block by block: its gradient and the augmented
/// gradient by the second-order sweeps equal autograd and double backpropagation through the same network.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class ComposedNetworkTests
{
    private const double T = 1.0;
    private const int Layers = 2;

    private sealed record Case(Network<Tensor> Network, Tensor X0, CrossEntropyLoss<Tensor> Loss, Func<Tensor[], Tensor, Tensor> Reference);

    // conv (stride 1) → conv (stride 2) → convolutional ODE block → average pooling → linear → vector ODE block (2 steps per layer).
    private static Case ImageNetwork(ButcherTableau tab)
    {
        var gen = new Generator(7);
        manual_seed(3);
        int c = 4;
        var kernels = randn([Layers, c, c, 3, 3], dtype: float64) * 0.3;
        var field = ConvolutionField.Create(kernels, randn(Layers, c, dtype: float64) * 0.1, 5, 5, T).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        var vector = NeuralOdeField.Create(randn(Layers, 3, 3, dtype: float64) * 0.7, randn(Layers, 3, dtype: float64) * 0.3, T)
            .Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        var network = new Network<Tensor>([
            ConvolutionBlock.Initialised(1, c, 3, 1, Activation.Tanh, gen),
            ConvolutionBlock.Initialised(c, c, 3, 2, Activation.Tanh, gen),
            new OdeBlock<Tensor>(field, SolverCatalog.Fixed(tab, 1), AdjointMode.Discrete),
            new GlobalAveragePoolingBlock(),
            LinearBlock.Initialised(c, 3, gen),
            new OdeBlock<Tensor>(vector, SolverCatalog.Fixed(tab, 2), AdjointMode.Discrete)]);
        Tensor Reference(Tensor[] p, Tensor x)
        {
            x = nn.functional.conv2d(x, p[0], p[1], padding: [1, 1]).tanh();
            x = nn.functional.conv2d(x, p[2], p[3], strides: [2, 2], padding: [1, 1]).tanh();
            x = RungeKutta(tab, x, (k, z) => nn.functional.conv2d(z.tanh(), p[4][k], p[5][k], padding: [1, 1]), 1);
            x = nn.functional.linear(x.mean([2, 3]), p[6], p[7]);
            return RungeKutta(tab, x, (k, z) => nn.functional.linear(z.tanh(), p[8][k], p[9][k]), 2);
        }
        return new Case(network, rand(3, 1, 9, 9, dtype: float64), CrossEntropyLoss.Create(tensor(new long[] { 0, 2, 1 })), Reference);
    }

    // zero padding 2 → 4, ODE block, linear read-out to 3 classes: the point-cloud model.
    private static Case PointCloudNetwork(ButcherTableau tab)
    {
        var gen = new Generator(11);
        manual_seed(5);
        var field = NeuralOdeField.Create(randn(Layers, 4, 4, dtype: float64) * 0.7, randn(Layers, 4, dtype: float64) * 0.3, T)
            .Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        var network = new Network<Tensor>([ZeroPaddingBlock.Create(2, 4), new OdeBlock<Tensor>(field, SolverCatalog.Fixed(tab, 1), AdjointMode.Discrete), LinearBlock.Initialised(4, 3, gen)]);
        Tensor Reference(Tensor[] p, Tensor x) =>
            nn.functional.linear(RungeKutta(tab, nn.functional.pad(x, [0, 2]), (k, z) => nn.functional.linear(z.tanh(), p[0][k], p[1][k]), 1), p[2], p[3]);
        return new Case(network, randn(6, 2, dtype: float64), CrossEntropyLoss.Create(tensor(new long[] { 0, 1, 2, 1, 0, 2 })), Reference);
    }

    /// <summary>The scheme written out with autograd-tracked tensors: x ← x + h Σ bᵢ Kᵢ, Kᵢ = g(k, x + h Σ aᵢⱼ Kⱼ).</summary>
    private static Tensor RungeKutta(ButcherTableau tab, Tensor x, Func<int, Tensor, Tensor> g, int stepsPerLayer)
    {
        double h = T / Layers / stepsPerLayer;
        for (int k = 0; k < Layers; k++)
            for (int m = 0; m < stepsPerLayer; m++)
            {
                var stages = new List<Tensor>();
                for (int i = 0; i < tab.Stages; i++)
                {
                    var xi = x;
                    for (int j = 0; j < i; j++) xi = xi + h * tab.A[i, j] * stages[j];
                    stages.Add(g(k, xi));
                }
                var next = x;
                for (int i = 0; i < tab.Stages; i++) next = next + h * tab.B[i] * stages[i];
                x = next;
            }
        return x;
    }

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var network in new[] { "image", "point-cloud" })
            foreach (var scheme in new[] { "euler", "rk4", "dopri5" })
                foreach (var q in new[] { "inf", "2", "1" })
                    data.Add(network, scheme, q);
        return data;
    }

    private static double MaxRelative(IEnumerable<Tensor> actual, IEnumerable<Tensor> expected) =>
        actual.Zip(expected, (a, e) => (a - e).abs().max().item<double>() / Math.Max(e.abs().max().item<double>(), 1e-300)).Max();

    private static Case Problem(string network, string scheme)
    {
        var tab = SolverCatalog.BuiltIn[scheme];
        return network == "image" ? ImageNetwork(tab) : PointCloudNetwork(tab);
    }

    // 𝒥 = mean ℓᵢ + 0.3 mean ‖∇ₓℓᵢ‖_{q*} by double backpropagation through the reference: (𝒥, ∇_θ 𝒥, ∇_θ J, p(0)).
    private static (double Value, Tensor[] Gradient, Tensor[] FirstOrder, Tensor P0) DoubleBackprop(Case c, AttackNorm norm)
    {
        var parameters = c.Network.Parameters.Select(p => p.detach().requires_grad_(true)).ToArray();
        var x = c.X0.detach().requires_grad_(true);
        var perSample = c.Loss.PerSample(c.Reference(parameters, x));
        var p0 = autograd.grad([perSample.sum()], [x], create_graph: true, retain_graph: true)[0];
        var augmented = perSample.mean() + 0.3 * TorchEngine.Instance.DualNorm(norm, p0).mean();
        var expected = autograd.grad([augmented], parameters, retain_graph: true).ToArray();
        var expectedFirst = autograd.grad([perSample.mean()], parameters, retain_graph: true).ToArray();
        return (augmented.item<double>(), expected, expectedFirst, p0);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Second_order_sweeps_through_the_blocks_equal_double_backprop(string network, string scheme, string q)
    {
        using var scope = NewDisposeScope();
        var c = Problem(network, scheme);
        var norm = AttackNorm.Parse(q)!;
        var (augmented, expected, expectedFirst, p0) = DoubleBackprop(c, norm);

        var result = LossDerivatives.AugmentedGradient(c.Network, c.X0, c.Loss, new AugmentedLoss(0.3, norm)).Match(g => g, e => throw new InvalidOperationException(e.Message));

        Assert.Equal(augmented, result.AugmentedLoss, 12);
        Assert.True(MaxRelative(result.AugmentedControlGradients, expected) < 1e-10, $"augmented gradient off by {MaxRelative(result.AugmentedControlGradients, expected):E2}");
        Assert.True(MaxRelative(result.FirstOrder.ControlGradients, expectedFirst) < 1e-10);
        Assert.True((result.FirstOrder.InputSensitivity - p0).abs().max().item<double>() < 1e-10);
    }

    /// <summary>
    /// A training step's gradient by the combined sweep — the tangent of εv, the second-order sweep from λ(T) + ε∇²ℓ·σ(T),
    /// its second-order control sums alone — is ∇_θ 𝒥 of double backpropagation, through every block.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_training_gradient_of_one_combined_sweep_equals_double_backprop(string network, string scheme, string q)
    {
        using var scope = NewDisposeScope();
        var c = Problem(network, scheme);
        var norm = AttackNorm.Parse(q)!;
        var (augmented, expected, _, p0) = DoubleBackprop(c, norm);

        var result = LossDerivatives.AugmentedControlGradient(c.Network, c.X0, c.Loss, new AugmentedLoss(0.3, norm)).Match(g => g, e => throw new InvalidOperationException(e.Message));

        Assert.Equal(augmented, result.AugmentedLoss, 12);
        Assert.True(MaxRelative(result.AugmentedControlGradients, expected) < 1e-10, $"augmented gradient off by {MaxRelative(result.AugmentedControlGradients, expected):E2}");
        Assert.Empty(result.FirstOrder.ControlGradients);
        Assert.True((result.FirstOrder.InputSensitivity - p0).abs().max().item<double>() < 1e-10);
    }
}
