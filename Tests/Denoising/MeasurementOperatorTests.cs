using RobustNode.Training.Reconstruction;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Denoising;

/// <summary>The measurement operators of the inverse problems: exact adjoints and the norm bounds their step sizes use.</summary>
public class MeasurementOperatorTests
{
    private static double Inner(Tensor a, Tensor b) => (a * b).sum().item<double>();

    [Theory]
    [InlineData(1.6, 16, 16, 3)]
    [InlineData(0.7, 9, 23, 1)]
    [InlineData(2.5, 5, 4, 2)]     // the kernel (15×15) is larger than the image
    public void Blur_adjoint_satisfies_the_inner_product_identity(double width, int height, int imageWidth, int batch)
    {
        using var scope = NewDisposeScope();
        var blur = GaussianBlur.Create(width).Match(b => b, e => throw new InvalidOperationException(e.Message));
        var generator = new Generator(17);
        var x = randn([batch, 1, height, imageWidth], float64, generator: generator);
        var y = randn([batch, 1, height, imageWidth], float64, generator: generator);

        var ax = blur.Apply(x);
        var aty = blur.Adjoint(y);

        Assert.Equal(x.shape, ax.shape);
        Assert.Equal(y.shape, aty.shape);
        double left = Inner(ax, y), right = Inner(x, aty);
        Assert.True(Math.Abs(left - right) <= 1e-12 * Math.Max(1, Math.Abs(left)), $"⟨Ax, y⟩ = {left:R}, ⟨x, Aᵀy⟩ = {right:R}");
    }

    [Fact]
    public void Blur_kernel_sums_to_one_and_the_operator_norm_is_at_most_one()
    {
        using var scope = NewDisposeScope();
        var blur = GaussianBlur.Create(1.6).Match(b => b, e => throw new InvalidOperationException(e.Message));
        Assert.Equal(1.0, blur.Kernel(float64).sum().item<double>(), 12);
        Assert.Equal(5, blur.Radius);

        // Power iteration on AᵀA: its top eigenvalue is ‖A‖₂², which Young's inequality bounds by ‖k‖₁² = 1.
        var v = randn([1, 1, 24, 24], float64, generator: new Generator(3));
        double norm = 0;
        for (int i = 0; i < 200; i++)
        {
            var w = blur.Adjoint(blur.Apply(v));
            norm = w.norm().item<double>() / v.norm().item<double>();
            v = w / w.norm();
        }
        Assert.True(norm <= blur.NormSquaredBound + 1e-12, $"‖A‖² ≈ {norm}");
        Assert.True(norm > 0.9, $"‖A‖² ≈ {norm}: a blur keeps smooth images");
    }

    [Fact]
    public void Inpainting_mask_is_its_own_adjoint_and_misses_the_asked_fraction()
    {
        using var scope = NewDisposeScope();
        var mask = PixelMask.Random(64, 64, 0.6, seed: 5).Match(m => m, e => throw new InvalidOperationException(e.Message));
        var generator = new Generator(2);
        var x = randn([2, 1, 64, 64], float64, generator: generator);
        var y = randn([2, 1, 64, 64], float64, generator: generator);

        Assert.Equal(Inner(mask.Apply(x), y), Inner(x, mask.Adjoint(y)), 10);
        double missing = 1 - mask.Mask.mean().item<double>();
        Assert.InRange(missing, 0.55, 0.65);
        Assert.True(PixelMask.Random(64, 64, 0.6, seed: 5).Match(m => m.Mask.eq(mask.Mask).all().item<bool>(), _ => false), "the same seed gives the same mask");
        Assert.True(mask.Accepts([1, 1, 32, 64]).IsFail);
    }

    [Fact]
    public void Bad_operator_settings_are_refused_with_their_name()
    {
        Assert.Contains("blur width", GaussianBlur.Create(0).Match(_ => "", e => e.Message));
        Assert.Contains("blur radius", GaussianBlur.Create(1, 0).Match(_ => "", e => e.Message));
        Assert.Contains("missing fraction", PixelMask.Random(4, 4, 1.0, 1).Match(_ => "", e => e.Message));
    }
}
