using System.Globalization;
using LanguageExt;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Reconstruction;

/// <summary>
/// Gaussian blur as a convolution: A x = k ∗ x with the normalised kernel k(i, j) ∝ exp(−(i² + j²)/(2s²)),
/// |i|, |j| ≤ <see cref="Radius"/>, and zero padding, so the image keeps its size. The adjoint is the transposed
/// convolution with the same padding, which is exact for zero padding: ⟨k ∗ x, y⟩ = ⟨x, k ∗ᵀ y⟩. Since k ≥ 0 sums to 1,
/// ‖A‖₂ ≤ ‖k‖₁ = 1 (Young's inequality), so L = 1.
/// </summary>
/// <param name="Width">The standard deviation s of the kernel, in pixels (&gt; 0).</param>
/// <param name="Radius">Half the kernel's side (the kernel is (2r + 1)², r ≥ 1); ⌈3s⌉ by default.</param>
public sealed record GaussianBlur(double Width, int Radius) : ILinearOperator
{
    /// <summary>A blur of standard deviation <paramref name="width"/> with radius ⌈3·width⌉, or an error naming the bad value.</summary>
    public static Fin<GaussianBlur> Create(double width, int? radius = null)
    {
        if (!(width > 0) || !double.IsFinite(width)) return FinFail<GaussianBlur>(RobustNodeErrors.InvalidArgument("blur width", $"must be positive and finite, got {width}"));
        int r = radius ?? (int)Math.Ceiling(3 * width);
        return r >= 1 && r <= 64
            ? FinSucc(new GaussianBlur(width, r))
            : FinFail<GaussianBlur>(RobustNodeErrors.InvalidArgument("blur radius", $"must lie in 1…64, got {r}"));
    }

    /// <inheritdoc/>
    public string Name => "gaussian-blur";

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant($"gaussian-blur(width={Width:R}, radius={Radius})");

    /// <inheritdoc/>
    public double NormSquaredBound => 1.0;

    /// <summary>The kernel k [1, 1, 2r + 1, 2r + 1] in the given type (sums to 1).</summary>
    public Tensor Kernel(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        int side = 2 * Radius + 1;
        var k = new double[side * side];
        for (int i = -Radius; i <= Radius; i++)
            for (int j = -Radius; j <= Radius; j++)
                k[(i + Radius) * side + j + Radius] = Math.Exp(-(i * i + j * j) / (2 * Width * Width));
        double sum = k.Sum();
        for (int i = 0; i < k.Length; i++) k[i] /= sum;
        return tensor(k, [1, 1, side, side], ScalarType.Float64).to(dtype).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Fin<Unit> Accepts(long[] shape) =>
        shape.Length == 4 && shape[1] == 1 && shape[2] >= 1 && shape[3] >= 1
            ? FinSucc(unit)
            : FinFail<Unit>(RobustNodeErrors.ShapeMismatch("blurred images", "[B, 1, H, W]", "[" + string.Join(", ", shape) + "]"));

    /// <inheritdoc/>
    public Tensor Apply(Tensor x)
    {
        using var scope = NewDisposeScope();
        return nn.functional.conv2d(x, Kernel(x.dtype), padding: [Radius, Radius]).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Adjoint(Tensor y)
    {
        using var scope = NewDisposeScope();
        return nn.functional.conv_transpose2d(y, Kernel(y.dtype), padding: [Radius, Radius]).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override string ToString() => Describe();
}
