using RobustNode.Core.Engines;
using LanguageExt;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// A grey-level image as managed data: <see cref="Height"/> rows of <see cref="Width"/> grey levels in [0, 1],
/// row-major. Decoding files is the host's business; the library sees only these values.
/// </summary>
/// <param name="Name">Where the image came from (a file name, "fashion-mnist[17]"), for reports.</param>
/// <param name="Height">Rows (≥ 1).</param>
/// <param name="Width">Columns (≥ 1).</param>
/// <param name="Pixels">Height·Width grey levels in [0, 1], row-major.</param>
public sealed record GreyImage(string Name, int Height, int Width, double[] Pixels)
{
    /// <summary>An image after checking its size and that every grey level is finite and in [0, 1].</summary>
    public static Fin<GreyImage> Create(string name, int height, int width, double[] pixels)
    {
        if (height < 1 || width < 1)
            return FinFail<GreyImage>(RobustNodeErrors.InvalidArgument(name, $"an image needs at least one pixel, got {height}×{width}"));
        if (pixels.Length != (long)height * width)
            return FinFail<GreyImage>(RobustNodeErrors.InvalidArgument(name, $"{pixels.Length} grey levels for a {height}×{width} image"));
        for (int i = 0; i < pixels.Length; i++)
            if (!(pixels[i] >= 0 && pixels[i] <= 1))
                return FinFail<GreyImage>(RobustNodeErrors.InvalidArgument(name, $"grey level {pixels[i]} at row {i / width}, column {i % width} is not in [0, 1]"));
        return new GreyImage(name, height, width, pixels);
    }

    /// <summary>The image from a tensor [H, W] or [1, 1, H, W] (values clamped to [0, 1]).</summary>
    public static GreyImage FromTensor(string name, Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var t = pixels.detach().to(ScalarType.Float64).Clamped(0, 1).contiguous();
        long h = t.shape[^2], w = t.shape[^1];
        return new GreyImage(name, (int)h, (int)w, t.reshape(h * w).data<double>().ToArray());
    }

    /// <summary>The image as a tensor [1, 1, H, W].</summary>
    public Tensor ToTensor(ScalarType dtype = ScalarType.Float64)
    {
        using var scope = NewDisposeScope();
        return tensor(Pixels, [1, 1, Height, Width], ScalarType.Float64).to(dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The grey levels as a [row, column] array (for plots).</summary>
    public double[,] ToArray()
    {
        var a = new double[Height, Width];
        for (int r = 0; r < Height; r++)
            for (int c = 0; c < Width; c++) a[r, c] = Pixels[r * Width + c];
        return a;
    }

    /// <summary>
    /// The central <paramref name="size"/>×<paramref name="size"/> square (the image itself when it is not larger), or an
    /// error when the image is smaller than that in either direction.
    /// </summary>
    public Fin<GreyImage> CenterCrop(int size)
    {
        if (size < 1) return FinFail<GreyImage>(RobustNodeErrors.InvalidArgument("crop", $"must be at least 1, got {size}"));
        if (Height < size || Width < size)
            return FinFail<GreyImage>(RobustNodeErrors.InvalidArgument(Name, $"a {Height}×{Width} image is smaller than the {size}×{size} crop"));
        if (Height == size && Width == size) return this;
        int top = (Height - size) / 2, left = (Width - size) / 2;
        var pixels = new double[size * size];
        for (int r = 0; r < size; r++) System.Array.Copy(Pixels, (top + r) * Width + left, pixels, r * size, size);
        return new GreyImage(Name, size, size, pixels);
    }
}
