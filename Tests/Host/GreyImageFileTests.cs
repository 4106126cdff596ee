using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using RobustNode.Host.Images;
using RobustNode.Training.Denoising;
using SkiaSharp;
using Xunit;

namespace RobustNode.Tests.Host;

/// <summary>A fact that needs scikit-image's images (Debian's python3-skimage); skipped with a message where they are missing.</summary>
public sealed class NaturalImagesFactAttribute : FactAttribute
{
    public NaturalImagesFactAttribute()
    {
        if (!File.Exists(Path.Combine(NaturalImages.DefaultFolder, "camera.png")))
            Skip = $"scikit-image's images are not in {NaturalImages.DefaultFolder}: apt-get install python3-skimage (scripts/setup.sh does)";
    }
}

/// <summary>Grey images from PNG and JPEG files: values, colour conversion, and a clear error for every file that cannot be used.</summary>
public class GreyImageFileTests
{
    private static GreyImage Read(string path) =>
        GreyImageFile.Read(path).Match(i => i, errors => throw new InvalidOperationException(string.Join("; ", errors.Select(e => e.Message))));

    private static string Problem(string path) =>
        GreyImageFile.Read(path).Match(_ => "", errors => string.Join("; ", errors.Select(e => e.Message)));

    private static byte[] Encode(int width, int height, SKColorType type, byte[] pixels, SKEncodedImageFormat format)
    {
        var info = new SKImageInfo(width, height, type, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(format, 95);
        return data.ToArray();
    }

    [Fact]
    public void A_grey_png_reads_back_its_grey_levels()
    {
        using var folder = new TempFolder();
        var pixels = Enumerable.Range(0, 6 * 5).Select(i => (i * 8) / 255.0).ToArray();
        var image = GreyImage.Create("ramp", 5, 6, pixels).Match(i => i, e => throw new InvalidOperationException(e.Message));
        var path = folder.File("ramp.png");
        File.WriteAllBytes(path, GreyImageFile.EncodePng(image));

        var read = Read(path);

        Assert.Equal("ramp", read.Name);
        Assert.Equal((5, 6), (read.Height, read.Width));
        for (int i = 0; i < pixels.Length; i++) Assert.Equal(pixels[i], read.Pixels[i], 12);
    }

    [Fact]
    public void Colour_images_become_grey_with_scikit_images_weights()
    {
        using var folder = new TempFolder();
        // Two RGBA pixels: (200, 100, 50) opaque and (0, 255, 0) transparent (alpha is ignored).
        var path = folder.File("colour.png");
        File.WriteAllBytes(path, Encode(2, 1, SKColorType.Rgba8888, [200, 100, 50, 255, 0, 255, 0, 0], SKEncodedImageFormat.Png));

        var read = Read(path);

        Assert.Equal((0.2125 * 200 + 0.7154 * 100 + 0.0721 * 50) / 255, read.Pixels[0], 12);
        Assert.Equal(0.7154, read.Pixels[1], 12);
    }

    [Fact]
    public void Jpeg_images_are_read()
    {
        using var folder = new TempFolder();
        var path = folder.File("flat.jpg");
        File.WriteAllBytes(path, Encode(16, 8, SKColorType.Gray8, Enumerable.Repeat((byte)128, 16 * 8).ToArray(), SKEncodedImageFormat.Jpeg));

        var read = Read(path);

        Assert.Equal((8, 16), (read.Height, read.Width));
        Assert.All(read.Pixels, p => Assert.InRange(p, 126 / 255.0, 130 / 255.0));
    }

    [Fact]
    public void Unreadable_images_are_refused_naming_the_file_and_the_reason()
    {
        using var folder = new TempFolder();
        var png = Encode(32, 32, SKColorType.Gray8, Enumerable.Range(0, 1024).Select(i => (byte)(i * 7)).ToArray(), SKEncodedImageFormat.Png);
        var truncated = folder.File("truncated.png");
        File.WriteAllBytes(truncated, png[..(png.Length / 2)]);
        var empty = folder.File("empty.png");
        File.WriteAllBytes(empty, []);
        var text = folder.Write("notes.png", "not an image at all");
        var gif = folder.File("dot.gif");
        File.WriteAllBytes(gif, Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="));
        var wide = folder.File("wide.png");
        File.WriteAllBytes(wide, Encode(GreyImageFile.MaxSide + 1, 1, SKColorType.Gray8, new byte[GreyImageFile.MaxSide + 1], SKEncodedImageFormat.Png));

        Assert.Equal($"{truncated}: cannot decode the PNG image: the data are truncated or corrupted", Problem(truncated));
        Assert.Equal($"{empty}: the file is empty, not a PNG or JPEG image", Problem(empty));
        Assert.StartsWith($"{text}: not a PNG or JPEG image", Problem(text));
        Assert.Equal($"{gif}: a GIF image; only PNG and JPEG images are read", Problem(gif));
        Assert.Equal($"{wide}: a {GreyImageFile.MaxSide + 1}×1 image; images must be 1 to {GreyImageFile.MaxSide} pixels a side", Problem(wide));
        Assert.Equal($"{folder.File("none.png")}: cannot read: no such file", Problem(folder.File("none.png")));
    }

    [Fact]
    public void Images_are_found_by_name_in_their_folder_or_by_path()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("one.png"), []);
        Assert.Equal(folder.File("one.png"), NaturalImages.Resolve(folder.Path, "one", "key").Match(p => p, _ => ""));
        Assert.Equal("some/where.png", NaturalImages.Resolve(folder.Path, "some/where.png", "key").Match(p => p, _ => ""));
        var missing = NaturalImages.Resolve(folder.Path, "two", "Denoising:Data:TestImages").Match(_ => "", e => e.Head.Message);
        Assert.Equal($"Denoising:Data:TestImages: no image 'two' (.png or .jpg) in '{folder.Path}'; known here: one", missing);
    }

    [NaturalImagesFact]
    public void The_natural_images_of_the_split_are_all_readable()
    {
        foreach (var name in NaturalImages.Training.Concat(NaturalImages.Test))
        {
            var path = NaturalImages.Resolve(NaturalImages.DefaultFolder, name, "test").Match(p => p, e => throw new InvalidOperationException(e.Head.Message));
            var image = Read(path);
            Assert.True(image.Height >= 256 && image.Width >= 256, $"{name} is {image.Height}×{image.Width}");
        }
        Assert.Empty(NaturalImages.Training.Intersect(NaturalImages.Test));
    }

    [NaturalImagesFact]
    public void Astronaut_in_grey_equals_scikit_images_rgb2gray()
    {
        const string python = "/usr/bin/python3";
        var image = Read(Path.Combine(NaturalImages.DefaultFolder, "astronaut.png"));
        using var process = Process.Start(new ProcessStartInfo(python,
            ["-c", "from skimage import data, color; g = color.rgb2gray(data.astronaut()); print(repr(float(g.mean())), repr(float(g[100, 200])), repr(float(g[511, 0])))"])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "python3 with skimage failed");
        var values = output.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(values[0], image.Pixels.Average(), 10);
        Assert.Equal(values[1], image.Pixels[100 * image.Width + 200], 12);
        Assert.Equal(values[2], image.Pixels[511 * image.Width], 12);
    }
}
