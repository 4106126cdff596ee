using RobustNode.Core.Fields;
using Xunit;
using static RobustNode.Tests.Networks.ConvolutionProblems;
using static TorchSharp.torch;

namespace RobustNode.Tests.Networks;

/// <summary>
/// The kernel cotangents of the convolution sweeps — correlations in channels-last layout, and the transposed
/// convolutions of two cotangents with their kernel term from a single-layer backward pass — equal autograd, and a
/// convolutional field's second-order reverse stage equals double backpropagation through one layer (float64).
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class ConvolutionSweepsEqualDoubleBackprop
{
    [Theory]
    [InlineData(1, 7, 3)]
    [InlineData(2, 9, 3)]
    [InlineData(2, 8, 3)]
    [InlineData(1, 6, 5)]
    public void Kernel_correlation_equals_the_kernel_gradient_of_a_convolution(int stride, int size, int kernel)
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        long padding = kernel / 2;
        var z = randn(3, 2, size, size, dtype: float64);
        var w = randn(4, 2, kernel, kernel, dtype: float64).requires_grad_(true);
        var a = nn.functional.conv2d(z, w, strides: [stride, stride], padding: [padding, padding]);
        var abar = randn_like(a);
        var expected = autograd.grad([a], [w], [abar])[0];

        using var untracked = no_grad();
        var actual = KernelCotangents.Correlation(z, abar, kernel, stride, padding);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(MaxRelative(actual, expected) < 1e-13, $"off by {MaxRelative(actual, expected):E2}");
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 9)]
    [InlineData(2, 8)]
    public void Correlations_of_stacked_inputs_equal_one_correlation_each(int stride, int size)
    {
        using var scope = NewDisposeScope();
        manual_seed(24);
        var z1 = randn(3, 2, size, size, dtype: float64);
        var z2 = randn(3, 2, size, size, dtype: float64);
        var outputShape = nn.functional.conv2d(z1, randn(4, 2, 3, 3, dtype: float64), strides: [stride, stride], padding: [1, 1]).shape;
        var abar = randn(outputShape, dtype: float64);

        using var untracked = no_grad();
        var both = KernelCotangents.Correlations([z1, z2], abar, 3, stride, 1);

        Assert.Equal(2, both.Length);
        Assert.True(MaxRelative(both[0], KernelCotangents.Correlation(z1, abar, 3, stride, 1)) < 1e-13);
        Assert.True(MaxRelative(both[1], KernelCotangents.Correlation(z2, abar, 3, stride, 1)) < 1e-13);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 9)]
    [InlineData(2, 8)]
    public void Transposed_convolutions_and_their_kernel_term_equal_autograd(int stride, int size)
    {
        using var scope = NewDisposeScope();
        manual_seed(22);
        var w = randn(4, 2, 3, 3, dtype: float64);
        var g1 = randn(3, 2, size, size, dtype: float64);
        var g2 = randn(3, 2, size, size, dtype: float64);
        Tensor Conv(Tensor x, Tensor kernel) => nn.functional.conv2d(x, kernel, strides: [stride, stride], padding: [1, 1]);
        var outputShape = Conv(g1, w).shape;
        var a1 = randn(outputShape, dtype: float64);
        var a2 = randn(outputShape, dtype: float64);
        // References: Wᵀ ∗ āⱼ = ∂⟨āⱼ, W ∗ x⟩/∂x and Gⱼ ⋆ āⱼ = ∂⟨āⱼ, W ∗ Gⱼ⟩/∂W, by autograd.
        var x = zeros_like(g1).requires_grad_(true);
        var wTracked = w.detach().requires_grad_(true);
        var t1 = autograd.grad([Conv(x, w)], [x], [a1])[0];
        var t2 = autograd.grad([Conv(x, w)], [x], [a2])[0];
        var k = autograd.grad([Conv(g1, wTracked)], [wTracked], [a1])[0] + autograd.grad([Conv(g2, wTracked)], [wTracked], [a2])[0];

        Tensor[] transposed;
        Tensor kernel;
        using (no_grad())
        {
            long[] outputPadding = [size - ((outputShape[2] - 1) * stride - 2 + 3), size - ((outputShape[3] - 1) * stride - 2 + 3)];
            (transposed, kernel) = KernelCotangents.TransposedWithCorrelation([a1, a2], w, [g1, g2], stride, 1, outputPadding);
        }

        Assert.True(MaxRelative(transposed[0], t1) < 1e-13);
        Assert.True(MaxRelative(transposed[1], t2) < 1e-13);
        Assert.True(MaxRelative(kernel, k) < 1e-13, $"kernel term off by {MaxRelative(kernel, k):E2}");
        // Nothing is left tracked: neither the results nor the kernel.
        Assert.False(transposed[0].requires_grad || transposed[1].requires_grad || kernel.requires_grad || w.requires_grad);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 9)]
    [InlineData(2, 8)]
    public void Convolution_and_its_kernel_term_equal_autograd(int stride, int size)
    {
        using var scope = NewDisposeScope();
        manual_seed(25);
        var w = randn(4, 2, 3, 3, dtype: float64);
        var z = randn(3, 2, size, size, dtype: float64);
        var wTracked = w.detach().requires_grad_(true);
        var a = nn.functional.conv2d(z, wTracked, strides: [stride, stride], padding: [1, 1]);
        var abar = randn_like(a);
        // z ⋆ ā = ∂⟨ā, W ∗ z⟩/∂W, by autograd.
        var expected = autograd.grad([a], [wTracked], [abar])[0];

        Tensor convolution, kernel;
        using (no_grad()) (convolution, kernel) = KernelCotangents.ConvolutionWithCorrelation(z, w, abar, stride, 1);

        Assert.True(MaxRelative(convolution, a.detach()) < 1e-13);
        Assert.True(MaxRelative(kernel, expected) < 1e-13, $"kernel term off by {MaxRelative(kernel, expected):E2}");
        Assert.False(convolution.requires_grad || kernel.requires_grad || w.requires_grad);
    }

    /// <summary>
    /// The control terms paired with p, formed by the reverse stage's transposed convolution (g_uᵀp) and the tangent
    /// stage's convolution (∂ₓ(g_uᵀp)·s), and a second-order stage told which of them are formed, add up to double
    /// backpropagation's; and each term alone is double backpropagation's.
    /// </summary>
    [Theory]
    [InlineData(PairedControlTerms.None)]
    [InlineData(PairedControlTerms.Cotangent)]
    [InlineData(PairedControlTerms.Tangent)]
    [InlineData(PairedControlTerms.Cotangent | PairedControlTerms.Tangent)]
    public void Control_terms_paired_with_p_in_the_earlier_sweeps_complete_the_second_order_stage(PairedControlTerms formed)
    {
        using var scope = NewDisposeScope();
        manual_seed(26);
        long c = 3, size = 6;
        var kernels = randn([2, c, c, 3, 3], dtype: float64) * 0.4;
        var biases = randn([2, c], dtype: float64) * 0.1;
        var field = ConvolutionField.Create(kernels, biases, size, size, 1.0).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        var x = randn(4, c, size, size, dtype: float64);
        var (p, m, s) = (randn_like(x), randn_like(x), randn_like(x));

        var xt = x.detach().requires_grad_(true);
        var wt = kernels[1].detach().requires_grad_(true);
        var bt = biases[1].detach().requires_grad_(true);
        Tensor G() => nn.functional.conv2d(xt.tanh(), wt, bt, padding: [1, 1]);
        var gp = autograd.grad([G()], [xt, wt, bt], [p], retain_graph: true, create_graph: true);
        var gm = autograd.grad([G()], [xt, wt, bt], [m]);
        var hessian = autograd.grad([(gp[0] * s).sum()], [xt, wt]);

        using var untracked = no_grad();
        FieldCotangent<Tensor> Zeros() => new(2) { [0] = zeros_like(kernels[1]), [1] = zeros_like(biases[1]) };
        var (first, second, alone, tangentAlone) = (Zeros(), Zeros(), Zeros(), Zeros());
        var point = field.Linearize(1, 0.75, x);
        Assert.True(point.PairsControlTerms);
        // The reverse stage: g_xᵀp, W ∗ᵀ p and g_uᵀp, into the second-order stage's sums where it counts as formed.
        var gx = point.StateVjp(p, out var product, formed.HasFlag(PairedControlTerms.Cotangent) ? first : alone);
        Assert.True(MaxRelative(gx, gp[0]) < 1e-13);
        // The tangent stage: g_x s and ∂ₓ(g_uᵀp)·s.
        var js = point.Jvp(s, p, formed.HasFlag(PairedControlTerms.Tangent) ? second : tangentAlone);
        Assert.True(MaxRelative(js, point.Jvp(s)) < 1e-13);
        var (x1, x2) = field.Linearize(1, 0.75, x).SecondOrderReverse(p, m, s, first, second, product, formed);

        Assert.True(MaxRelative(x1, gp[0]) < 1e-13);
        Assert.True(MaxRelative(x2, gm[0] + hessian[0]) < 1e-12, $"x2 off by {MaxRelative(x2, gm[0] + hessian[0]):E2}");
        Assert.True(MaxRelative(first[0], gp[1]) < 1e-13, $"first-order kernel term off by {MaxRelative(first[0], gp[1]):E2}");
        Assert.True(MaxRelative(first[1], gp[2]) < 1e-13);
        var expectedSecondKernel = gm[1] + hessian[1];
        Assert.True(MaxRelative(second[0], expectedSecondKernel) < 1e-12, $"second-order kernel term off by {MaxRelative(second[0], expectedSecondKernel):E2}");
        Assert.True(MaxRelative(second[1], gm[2]) < 1e-13);
        if (!formed.HasFlag(PairedControlTerms.Cotangent))
        {
            Assert.True(MaxRelative(alone[0], gp[1]) < 1e-13);
            Assert.True(MaxRelative(alone[1], gp[2]) < 1e-13);
        }
        if (!formed.HasFlag(PairedControlTerms.Tangent))
        {
            // ∂ₓ(g_Wᵀp)·s = (σ'(x) ⊙ s) ⋆ p, the kernel part of the Hessian-vector product; the bias term does not depend on x.
            Assert.True(MaxRelative(tangentAlone[0], hessian[1]) < 1e-12, $"tangent kernel term off by {MaxRelative(tangentAlone[0], hessian[1]):E2}");
            Assert.Equal(0.0, tangentAlone[1].abs().max().item<double>());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Second_order_reverse_stage_of_the_convolution_field_equals_double_backprop(bool withReverseProduct)
    {
        using var scope = NewDisposeScope();
        manual_seed(23);
        long c = 3, size = 6;
        var kernels = randn([2, c, c, 3, 3], dtype: float64) * 0.4;
        var biases = randn([2, c], dtype: float64) * 0.1;
        var field = ConvolutionField.Create(kernels, biases, size, size, 1.0).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        var x = randn(4, c, size, size, dtype: float64);
        var p = randn_like(x);
        var m = randn_like(x);
        var s = randn_like(x);

        // Double backprop through the layer g(x) = W₁ ∗ tanh(x) + b₁: g_xᵀp, then its derivative along s, and g_xᵀm.
        var xt = x.detach().requires_grad_(true);
        var wt = kernels[1].detach().requires_grad_(true);
        var bt = biases[1].detach().requires_grad_(true);
        Tensor G() => nn.functional.conv2d(xt.tanh(), wt, bt, padding: [1, 1]);
        var gp = autograd.grad([G()], [xt, wt, bt], [p], retain_graph: true, create_graph: true);
        var gm = autograd.grad([G()], [xt, wt, bt], [m]);
        var hessian = autograd.grad([(gp[0] * s).sum()], [xt, wt]);
        var expectedSecondKernel = gm[1] + hessian[1];

        using var untracked = no_grad();
        var first = new FieldCotangent<Tensor>(2) { [0] = zeros_like(kernels[1]), [1] = zeros_like(biases[1]) };
        var second = new FieldCotangent<Tensor>(2) { [0] = zeros_like(kernels[1]), [1] = zeros_like(biases[1]) };
        var point = field.Linearize(1, 0.75, x);
        Tensor x1, x2;
        if (withReverseProduct)
        {
            // W ∗ᵀ p from the state-only reverse product, handed to the second-order stage at the same point.
            Assert.True(point.SharesReverseProduct);
            var gx = point.StateVjp(p, out var product);
            Assert.True(MaxRelative(gx, gp[0]) < 1e-13);
            (x1, x2) = field.Linearize(1, 0.75, x).SecondOrderReverse(p, m, s, first, second, product);
        }
        else (x1, x2) = point.SecondOrderReverse(p, m, s, first, second);

        Assert.True(MaxRelative(x1, gp[0]) < 1e-13);
        Assert.True(MaxRelative(x2, gm[0] + hessian[0]) < 1e-12, $"x2 off by {MaxRelative(x2, gm[0] + hessian[0]):E2}");
        Assert.True(MaxRelative(first[0], gp[1]) < 1e-13);
        Assert.True(MaxRelative(first[1], gp[2]) < 1e-13);
        Assert.True(MaxRelative(second[0], expectedSecondKernel) < 1e-12, $"second-order kernel term off by {MaxRelative(second[0], expectedSecondKernel):E2}");
        Assert.True(MaxRelative(second[1], gm[2]) < 1e-13);

        // Without a first-order cotangent (a training step's combined sweep reads only ū₂): the same two state cotangents
        // and second-order sums.
        var alone = new FieldCotangent<Tensor>(2) { [0] = zeros_like(kernels[1]), [1] = zeros_like(biases[1]) };
        var (y1, y2) = field.Linearize(1, 0.75, x).SecondOrderReverse(p, m, s, null, alone);
        Assert.True(MaxRelative(y1, gp[0]) < 1e-13);
        Assert.True(MaxRelative(y2, gm[0] + hessian[0]) < 1e-12);
        Assert.True(MaxRelative(alone[0], expectedSecondKernel) < 1e-12);
        Assert.True(MaxRelative(alone[1], gm[2]) < 1e-13);
    }
}
