using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>
/// KL(softmax z ‖ softmax w) from the cross-entropy kernels equals its definition by log-softmax, and its gradients with
/// respect to both logit batches and the Hessian-vector product of the loss in w equal autograd's.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class KullbackLeiblerLossTests
{
    private static readonly TorchEngine E = TorchEngine.Instance;

    private static (Tensor Z, Tensor W) Logits(ulong seed, double spread)
    {
        using var g = new Generator(seed);
        var z = 2 * randn([6, 4], dtype: float64, generator: g);
        return (z, z + spread * randn([6, 4], dtype: float64, generator: g));
    }

    private static Tensor Definition(Tensor z, Tensor w) => (z.softmax(1) * (z.log_softmax(1) - w.log_softmax(1))).sum(1);

    [Theory]
    [InlineData(1.0)]
    [InlineData(1e-3)]
    [InlineData(0.0)]
    public void The_divergence_equals_its_definition(double spread)
    {
        using var scope = NewDisposeScope();
        var (z, w) = Logits(3, spread);
        var divergence = KullbackLeibler.Divergence(E, z, w);
        Assert.True((divergence - Definition(z, w)).abs().max().item<double>() < 1e-14);
        Assert.True(divergence.min().item<double>() >= -1e-15);
    }

    [Fact]
    public void Gradients_in_both_arguments_and_the_Hessian_vector_product_equal_autograd()
    {
        using var scope = NewDisposeScope();
        var (z0, w0) = Logits(4, 0.8);
        using var enable = enable_grad();
        var z = z0.clone().requires_grad_(true);
        var w = w0.clone().requires_grad_(true);
        var grads = autograd.grad([Definition(z, w).sum()], [z, w], create_graph: true, retain_graph: true);
        Close.Equal(grads[0].detach(), KullbackLeibler.FirstGradient(E, z0, w0), 1e-13, "∇_z KL");
        Close.Equal(grads[1].detach(), KullbackLeibler.SecondGradient(E, z0, w0), 1e-13, "∇_w KL");
        using var g = new Generator(9);
        var s = randn([6, 4], dtype: float64, generator: g);
        var hvp = autograd.grad([(grads[1] * s).sum()], [w])[0].detach();
        var loss = new KullbackLeiblerLoss<Tensor>(E, z0);
        Close.Equal(hvp, loss.HessianVectorProduct(w0, s), 1e-13, "∇²_w KL · s");
        Close.Equal(Definition(z0, w0), loss.PerSample(w0), 1e-13, "per-sample KL");
        Assert.Equal(6, loss.Count);
        Assert.Equal(2, loss.Select([1, 4]).Count);
    }

    [Fact]
    public void Scaling_rows_multiplies_each_sample_by_its_factor_and_refuses_a_misshapen_factor()
    {
        using var scope = NewDisposeScope();
        var x = arange(24, dtype: float64).reshape(2, 3, 4);
        var factors = tensor(new[] { 2.0, -0.5 }, dtype: float64);
        var scaled = E.ScaleRows(x, factors);
        Assert.Equal(0.0, (scaled[0] - 2 * x[0]).abs().max().item<double>());
        Assert.Equal(0.0, (scaled[1] + 0.5 * x[1]).abs().max().item<double>());
        Assert.Throws<ArgumentException>(() => E.ScaleRows(x, tensor(new[] { 1.0, 2.0, 3.0 }, dtype: float64)));
    }
}
