using System.Runtime.InteropServices;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.IO;
using RobustNode.Training.Denoising;
using SkiaSharp;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Images;

/// <summary>
/// Grey images from and to files, with SkiaSharp (Google's Skia, through the package ScottPlot already brings). Reading
/// accepts PNG and JPEG only and looks at the header before decoding anything: the format, and the size, which must lie
/// between 1 and <see cref="MaxSide"/> pixels a side (so a crafted header cannot ask for gigabytes). Colour images become
/// grey with the ITU-R BT.709 luma weights 0.2125 R + 0.7154 G + 0.0721 B, as scikit-image's <c>rgb2gray</c> does;
/// alpha is ignored; grey levels are scaled from 0…255 to [0, 1]. Files above 256 MB are not read. Every failure names the file.
/// </summary>
internal static class GreyImageFile
{
    /// <summary>The largest width or height read.</summary>
    public const int MaxSide = 8192;

    /// <summary>The largest image file read (bytes).</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>The luma weights of scikit-image's rgb2gray (ITU-R BT.709).</summary>
    public static readonly (double R, double G, double B) Luma = (0.2125, 0.7154, 0.0721);

    /// <summary>The grey image in a PNG or JPEG file, named <paramref name="name"/> (default: the file name without extension).</summary>
    public static Validation<Error, GreyImage> Read(string path, string? name = null) =>
        InputFile.ReadBytes(path, MaxFileBytes).Bind(bytes => Decode(bytes, path, name ?? Path.GetFileNameWithoutExtension(path)));

    /// <summary>The grey image in PNG or JPEG bytes; <paramref name="source"/> names them in errors.</summary>
    public static Validation<Error, GreyImage> Decode(byte[] bytes, string source, string name)
    {
        Validation<Error, GreyImage> Problem(string reason) => Fail<Error, GreyImage>(HostErrors.File(source, reason));
        if (bytes.Length == 0) return Problem("the file is empty, not a PNG or JPEG image");
        using var codec = SKCodec.Create(new MemoryStream(bytes, writable: false), out var opened);
        if (codec is null) return Problem($"not a PNG or JPEG image (the decoder says: {Describe(opened)})");
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg))
            return Problem($"a {codec.EncodedFormat.ToString().ToUpperInvariant()} image; only PNG and JPEG images are read");
        int width = codec.Info.Width, height = codec.Info.Height;
        if (width < 1 || height < 1 || width > MaxSide || height > MaxSide)
            return Problem($"a {width}×{height} image; images must be 1 to {MaxSide} pixels a side");
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        SKCodecResult decoded;
        try
        {
            decoded = codec.GetPixels(info, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
        if (decoded != SKCodecResult.Success)
            return Problem($"cannot decode the {codec.EncodedFormat.ToString().ToUpperInvariant()} image: {Describe(decoded)}");
        var pixels = new double[width * height];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = Math.Clamp((Luma.R * rgba[4 * i] + Luma.G * rgba[4 * i + 1] + Luma.B * rgba[4 * i + 2]) / 255.0, 0, 1);
        return GreyImage.Create(name, height, width, pixels).Match(Succ: Success<Error, GreyImage>, Fail: e => Problem(e.Message));
    }

    /// <summary>The image as an 8-bit grey PNG (grey levels rounded from [0, 1] to 0…255).</summary>
    public static byte[] EncodePng(GreyImage image)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        var grey = new byte[image.Pixels.Length];
        for (int i = 0; i < grey.Length; i++) grey[i] = (byte)Math.Round(Math.Clamp(image.Pixels[i], 0, 1) * 255);
        Marshal.Copy(grey, 0, bitmap.GetPixels(), grey.Length);
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput => "the data are truncated or corrupted",
        SKCodecResult.InvalidInput => "the data are not a supported image",
        SKCodecResult.Unimplemented => "this variant of the format is not supported",
        _ => result.ToString(),
    };
}
