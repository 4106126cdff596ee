using System.Buffers.Binary;
using System.IO.Compression;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Data;

/// <summary>
/// An array in the IDX format of the MNIST files (LeCun et al.): magic 0x00 0x00, a type code, the number of
/// dimensions, the dimensions as big-endian int32, then the data (big-endian). Raw or gzip.
/// </summary>
/// <param name="Dimensions">Sizes, outermost first (e.g. [n, 28, 28] for images, [n] for labels).</param>
/// <param name="Values">The values in row-major order, as float64.</param>
public sealed record IdxFile(int[] Dimensions, double[] Values)
{
    private static readonly Dictionary<byte, (string Name, int Size)> Types = new()
    {
        [0x08] = ("unsigned byte", 1), [0x09] = ("signed byte", 1), [0x0B] = ("int16", 2),
        [0x0C] = ("int32", 4), [0x0D] = ("float32", 4), [0x0E] = ("float64", 8),
    };

    /// <summary>Largest IDX data read (bytes, after decompression).</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Number of items (the first dimension).</summary>
    public int Count => Dimensions[0];

    /// <summary>Parses IDX bytes (gzip is detected by its magic 1f 8b); <paramref name="source"/> names the file in errors.</summary>
    public static Fin<IdxFile> Parse(byte[] bytes, string source)
    {
        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var raw = new MemoryStream();
                // Bounded: a small corrupt or hostile .gz must not expand without limit.
                var block = new byte[1 << 16];
                int read;
                while ((read = gzip.Read(block, 0, block.Length)) > 0)
                {
                    raw.Write(block, 0, read);
                    if (raw.Length > MaxBytes) return Fail(source, $"decompresses to more than {MaxBytes} bytes");
                }
                bytes = raw.ToArray();
            }
            catch (InvalidDataException ex)
            {
                return Fail(source, $"corrupt gzip stream ({ex.Message})");
            }
        }
        if (bytes.Length < 4) return Fail(source, $"too short for an IDX header ({bytes.Length} bytes)");
        if (bytes[0] != 0 || bytes[1] != 0) return Fail(source, $"bad magic number 0x{bytes[0]:x2}{bytes[1]:x2}{bytes[2]:x2}{bytes[3]:x2}: not an IDX file");
        if (!Types.TryGetValue(bytes[2], out var type)) return Fail(source, $"unknown IDX type code 0x{bytes[2]:x2}");
        int rank = bytes[3];
        if (rank < 1 || rank > 4) return Fail(source, $"unsupported number of dimensions {rank}");
        int header = 4 + 4 * rank;
        if (bytes.Length < header) return Fail(source, $"truncated header: {rank} dimensions need {header} bytes, file has {bytes.Length}");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] <= 0) return Fail(source, $"dimension {i} is {dims[i]}; dimensions must be positive");
            count *= dims[i];
        }
        long expected = header + count * type.Size;
        if (bytes.Length < expected)
            return Fail(source, $"truncated: [{string.Join(", ", dims)}] {type.Name} values need {expected - header} bytes of data, found {bytes.Length - header}");
        if (bytes.Length > expected)
            return Fail(source, $"{bytes.Length - expected} unexpected bytes after the data of [{string.Join(", ", dims)}] {type.Name} values");
        var values = new double[count];
        var data = bytes.AsSpan(header);
        for (long i = 0; i < count; i++)
        {
            var at = data[(int)(i * type.Size)..];
            values[i] = bytes[2] switch
            {
                0x08 => at[0],
                0x09 => (sbyte)at[0],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(at),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(at),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(at),
                _ => BinaryPrimitives.ReadDoubleBigEndian(at),
            };
        }
        return FinSucc(new IdxFile(dims, values));
    }

    private static Fin<IdxFile> Fail(string source, string reason) =>
        FinFail<IdxFile>(Error.New(RobustNodeErrors.InvalidArgumentCode, $"{source}: {reason}"));
}
