using System.Buffers.Binary;
using System.IO.Compression;
using RobustNode.Training.Data;
using Xunit;

namespace RobustNode.Tests.Data;

/// <summary>The IDX reader on the real image files of this machine and on damaged copies of them.</summary>
public class IdxFileTests
{
    private const string FashionImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    private const string FashionLabels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

    private static byte[] Idx(byte type, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static string Failure<T>(LanguageExt.Fin<T> fin) => fin.Match(_ => "", e => e.Message);

    [Fact]
    public void Reads_raw_and_gzip_files_alike()
    {
        var raw = Idx(0x08, [2, 2, 2], [0, 64, 128, 255, 1, 2, 3, 4]);
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(raw);
        var a = IdxFile.Parse(raw, "raw").Match(f => f, e => throw new InvalidOperationException(e.Message));
        var b = IdxFile.Parse(packed.ToArray(), "gz").Match(f => f, e => throw new InvalidOperationException(e.Message));
        Assert.Equal([2, 2, 2], a.Dimensions);
        Assert.Equal(a.Values, b.Values);
        Assert.Equal(255, a.Values[3]);
    }

    [Fact]
    public void A_truncated_file_is_refused_naming_the_missing_bytes()
    {
        var bytes = Idx(0x08, [3, 2, 2], new byte[12])[..^5];
        var message = Failure(IdxFile.Parse(bytes, "cut.idx"));
        Assert.Contains("cut.idx", message);
        Assert.Contains("truncated", message);
    }

    [Fact]
    public void Bad_magic_unknown_types_and_trailing_bytes_are_refused()
    {
        var notIdx = Idx(0x08, [1], [7]);
        notIdx[0] = 0x50;
        Assert.Contains("magic", Failure(IdxFile.Parse(notIdx, "x")));
        Assert.Contains("type code", Failure(IdxFile.Parse(Idx(0x07, [1], [7]), "x")));
        Assert.Contains("unexpected bytes", Failure(IdxFile.Parse([.. Idx(0x08, [1], [7]), 9], "x")));
        Assert.Contains("corrupt gzip", Failure(IdxFile.Parse([0x1f, 0x8b, 1, 2, 3], "x")));
    }

    [Fact]
    public void Mislabelled_data_is_refused()
    {
        var images = IdxFile.Parse(Idx(0x08, [2, 2, 2], new byte[8]), "img").Match(f => f, e => throw new InvalidOperationException(e.Message));
        var tooFew = IdxFile.Parse(Idx(0x08, [1], [3]), "lab").Match(f => f, e => throw new InvalidOperationException(e.Message));
        var outOfRange = IdxFile.Parse(Idx(0x08, [2], [3, 12]), "lab").Match(f => f, e => throw new InvalidOperationException(e.Message));
        Assert.Contains("1 labels for 2 images", Failure(ImageData.FromIdx("d", images, tooFew, "img", "lab")));
        Assert.Contains("label 1 is 12", Failure(ImageData.FromIdx("d", images, outOfRange, "img", "lab")));
    }

    /// <summary>A fact on the installed Fashion-MNIST files, reported as skipped with the reason where they are missing.</summary>
    public sealed class FashionMnistFactAttribute : FactAttribute
    {
        public FashionMnistFactAttribute()
        {
            if (!File.Exists(FashionImages) || !File.Exists(FashionLabels))
                Skip = $"Fashion-MNIST is not installed ({FashionImages}); scripts/prepare-data.sh installs the Debian package dataset-fashion-mnist";
        }
    }

    [FashionMnistFact]
    public void The_fashion_mnist_test_set_of_this_machine_reads_as_ten_thousand_labelled_images()
    {
        var images = IdxFile.Parse(File.ReadAllBytes(FashionImages), FashionImages).Match(f => f, e => throw new InvalidOperationException(e.Message));
        var labels = IdxFile.Parse(File.ReadAllBytes(FashionLabels), FashionLabels).Match(f => f, e => throw new InvalidOperationException(e.Message));
        var data = ImageData.FromIdx("fashion-mnist", images, labels, FashionImages, FashionLabels).Match(d => d, e => throw new InvalidOperationException(e.Message));
        Assert.Equal(10_000, data.Count);
        Assert.Equal([10_000L, 1, 28, 28], data.Images.shape);
        Assert.InRange(data.Images.max().item<float>(), 0.99f, 1.0f);
        Assert.Equal(0f, data.Images.min().item<float>());
    }
}
