using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Platform;

/// <summary>
/// The native libtorch binding loads on this platform (see build/LibTorchSharpElfFix.targets) and does
/// what the adjoints rely on in float64: plain tensor arithmetic, reverse-mode autograd and a second
/// backward pass through a retained graph.
/// </summary>
public sealed class TorchSharpLoads
{
    [Fact]
    public void A_matrix_product_is_computed_in_float64()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 1.0, 2.0, 3.0, 4.0 }, [2, 2]);
        var b = tensor(new[] { 5.0, 6.0, 7.0, 8.0 }, [2, 2]);
        var c = a.matmul(b);
        Assert.Equal(ScalarType.Float64, c.dtype);
        Assert.Equal(new[] { 19.0, 22.0, 43.0, 50.0 }, c.data<double>().ToArray());
    }

    [Fact]
    public void Autograd_differentiates_a_cubic()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.5, -1.5, 2.0 }).requires_grad_(true);
        var y = (x * x * x).sum();
        var g = autograd.grad([y], [x])[0];
        Assert.Equal(new[] { 0.75, 6.75, 12.0 }, g.data<double>().ToArray());
    }

    [Fact]
    public void Double_backward_gives_the_second_derivative()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.3, -0.7 }).requires_grad_(true);
        var y = x.sin().mul(x).sum();
        // d/dx (x sin x) = sin x + x cos x;  d²/dx² = 2 cos x − x sin x.
        var g = autograd.grad([y], [x], create_graph: true, retain_graph: true)[0];
        var h = autograd.grad([g.sum()], [x])[0];
        var xs = new[] { 0.3, -0.7 };
        var first = g.detach().data<double>().ToArray();
        var second = h.data<double>().ToArray();
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(Math.Sin(xs[i]) + xs[i] * Math.Cos(xs[i]), first[i], 14);
            Assert.Equal(2 * Math.Cos(xs[i]) - xs[i] * Math.Sin(xs[i]), second[i], 14);
        }
    }
}
