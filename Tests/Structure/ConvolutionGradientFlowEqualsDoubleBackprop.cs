using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// The closed forms of the convolutional gradient-flow field s_k K_kᵀ∗σ(K_k ∗ x + b_k) inside a network stem → gradient-flow
/// block → average pooling → read-out: the loss gradient, p(0) and the augmented gradient by the block sweeps equal
/// autograd and double backpropagation through the same network, in float64 to 1e-10, for M ≠ C, mixed directions,
/// every activation with a second derivative and several tableaux.
/// </summary>
public sealed class ConvolutionGradientFlowEqualsDoubleBackprop
{
    private const double T = 1.0;
    private const int Layers = 2;

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "euler", "tanh", "inf" },
        { "euler", "relu", "2" },
        { "euler", "softplus", "1" },
        { "rk4", "tanh", "2" },
        { "heun", "sigmoid", "inf" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Second_order_sweeps_of_the_convolutional_gradient_flow_equal_double_backprop(string scheme, string activationName, string q)
    {
        using var scope = NewDisposeScope();
        var tab = SolverCatalog.BuiltIn[scheme];
        var activation = Activation.ByName[activationName];
        FlowDirection[] directions = [FlowDirection.Contractive, FlowDirection.Expansive];
        using var gen = new Generator(13);
        const int c = 3, m = 5;
        var kernels = randn([Layers, m, c, 3, 3], dtype: float64, generator: gen) .Times(0.3);
        var biases = randn([Layers, m], dtype: float64, generator: gen) .Times(0.2);
        var field = ConvolutionGradientFlowField.Create(kernels, biases, 4, 4, T, activation, directions).Ok();
        var network = new Network<Tensor>([
            ConvolutionBlock.Initialised(1, c, 3, 2, Activation.Tanh, gen),
            new OdeBlock<Tensor>(field, SolverCatalog.Fixed(tab, 1), AdjointMode.Discrete),
            new GlobalAveragePoolingBlock(),
            LinearBlock.Initialised(c, 3, gen)]);
        var x0 = rand([3, 1, 8, 8], dtype: float64, generator: gen);
        var loss = CrossEntropyLoss.Create(tensor(new long[] { 0, 2, 1 }));

        Tensor Field(Tensor[] p, int k, Tensor z) =>
            nn.functional.conv_transpose2d(TorchActivation.Apply(activation, nn.functional.conv2d(z, p[2][k], p[3][k], padding: [1, 1])), p[2][k], padding: [1, 1]).Times(directions[k].Sign());
        Tensor Reference(Tensor[] p, Tensor x)
        {
            x = nn.functional.conv2d(x, p[0], p[1], strides: [2, 2], padding: [1, 1]).tanh();
            x = RungeKutta(tab, x, (k, z) => Field(p, k, z));
            return nn.functional.linear(x.mean([2, 3]), p[4], p[5]);
        }

        var norm = AttackNorm.Parse(q)!;
        var parameters = network.Parameters.Select(p => p.detach().requires_grad_(true)).ToArray();
        var x = x0.detach().requires_grad_(true);
        var perSample = loss.PerSample(Reference(parameters, x));
        var p0 = autograd.grad([perSample.sum()], [x], create_graph: true, retain_graph: true)[0];
        var augmented = perSample.mean().Plus(TorchEngine.Instance.DualNorm(norm, p0).mean(), 0.3);
        var expected = autograd.grad([augmented], parameters, retain_graph: true);
        var expectedFirst = autograd.grad([perSample.mean()], parameters, retain_graph: true);

        var result = LossDerivatives.AugmentedGradient(network, x0, loss, new AugmentedLoss(0.3, norm)).Ok();

        Close.Equal(augmented.item<double>(), result.AugmentedLoss, 1e-12, "𝒥");
        for (int i = 0; i < parameters.Length; i++)
        {
            Close.Equal(expected[i], result.AugmentedControlGradients[i], 1e-10, $"∇𝒥 of parameter {i}");
            Close.Equal(expectedFirst[i], result.FirstOrder.ControlGradients[i], 1e-10, $"∇J of parameter {i}");
        }
        Close.Equal(p0.detach(), result.FirstOrder.InputSensitivity, 1e-10, "p(0)");

        // A training step's combined sweep (no stage forms the first-order sums).
        var step = LossDerivatives.AugmentedControlGradient(network, x0, loss, new AugmentedLoss(0.3, norm)).Ok();
        for (int i = 0; i < parameters.Length; i++)
            Close.Equal(expected[i], step.AugmentedControlGradients[i], 1e-10, $"∇𝒥 of parameter {i}, training step");
    }

    [Fact]
    public void Control_tangent_of_the_convolutional_gradient_flow_equals_autograd()
    {
        // The field's ControlJvp against the directional derivative of its value by autograd.
        using var scope = NewDisposeScope();
        using var gen = new Generator(3);
        var kernels = randn([1, 4, 2, 3, 3], dtype: float64, generator: gen) .Times(0.4);
        var biases = randn([1, 4], dtype: float64, generator: gen) .Times(0.2);
        var field = ConvolutionGradientFlowField.Create(kernels, biases, 5, 5, T, Activation.Tanh, [FlowDirection.Contractive]).Ok();
        var x = randn([2, 2, 5, 5], dtype: float64, generator: gen);
        Tensor[] eta = [randn(kernels[0].shape, dtype: float64, generator: gen), randn(biases[0].shape, dtype: float64, generator: gen)];
        var k = kernels[0].detach().requires_grad_(true);
        var b = biases[0].detach().requires_grad_(true);
        var value = -nn.functional.conv_transpose2d(nn.functional.conv2d(x, k, b, padding: [1, 1]).tanh(), k, padding: [1, 1]);
        var probe = randn(value.shape, dtype: float64, generator: gen);
        var grads = autograd.grad([(value * probe).sum()], [k, b]);
        double expected = (grads[0] * eta[0]).sum().item<double>() + (grads[1] * eta[1]).sum().item<double>();
        var jvp = field.Linearize(0, 0, x).ControlJvp(eta);
        Close.Equal(expected, (jvp * probe).sum().item<double>(), 1e-12, "⟨probe, g_u η⟩");
        Close.Equal(value.detach(), field.Evaluate(0, 0, x), 1e-14, "g(x)");
    }

    private static Tensor RungeKutta(ButcherTableau tab, Tensor x, Func<int, Tensor, Tensor> g)
    {
        double h = T / Layers;
        for (int k = 0; k < Layers; k++)
        {
            var stages = new List<Tensor>();
            for (int i = 0; i < tab.Stages; i++)
            {
                var xi = x;
                for (int j = 0; j < i; j++) xi = xi.Plus(stages[j], h * tab.A[i, j]);
                stages.Add(g(k, xi));
            }
            var next = x;
            for (int i = 0; i < tab.Stages; i++) next = next.Plus(stages[i], h * tab.B[i]);
            x = next;
        }
        return x;
    }
}
