using System.Text;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.IO;

/// <summary>
/// Reads input files with a size limit, turning the usual failures into errors that name the file: missing, a folder,
/// permission denied, larger than the limit. What is read is bounded even for devices and pipes that never end
/// (<c>/dev/zero</c>), and text that starts with binary data is refused at its first block.
/// </summary>
internal static class InputFile
{
    /// <summary>Largest problem file (bytes).</summary>
    public const long MaxProblemBytes = 256L << 20;

    private const int Block = 1 << 16;

    /// <summary>The UTF-8 text of a file of at most <paramref name="maxBytes"/> bytes; binary data (a NUL byte) is refused.</summary>
    public static Validation<Error, string> ReadText(string path, long maxBytes = MaxProblemBytes) =>
        Read(path, maxBytes, text: true).Map(bytes => new UTF8Encoding(false).GetString(bytes));

    /// <summary>The bytes of a file of at most <paramref name="maxBytes"/> bytes.</summary>
    public static Validation<Error, byte[]> ReadBytes(string path, long maxBytes) => Read(path, maxBytes, text: false);

    private static Validation<Error, byte[]> Read(string path, long maxBytes, bool text)
    {
        if (string.IsNullOrWhiteSpace(path)) return Fail<Error, byte[]>(HostErrors.File("''", "cannot read: the path is empty"));
        try
        {
            if (Directory.Exists(path)) return Fail<Error, byte[]>(HostErrors.File(path, "cannot read: it is a folder, not a file"));
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (stream.CanSeek && stream.Length > maxBytes) return TooLarge(path, stream.Length, maxBytes);
            var buffer = new MemoryStream();
            var block = new byte[Block];
            int read;
            while ((read = stream.Read(block, 0, block.Length)) > 0)
            {
                if (text && block.AsSpan(0, read).IndexOf((byte)0) is var nul and >= 0)
                    return Fail<Error, byte[]>(HostErrors.File(path, $"cannot read: binary data (a NUL byte at offset {buffer.Length + nul}), not text"));
                buffer.Write(block, 0, read);
                if (buffer.Length > maxBytes) return TooLarge(path, null, maxBytes);
            }
            return Success<Error, byte[]>(buffer.ToArray());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Fail<Error, byte[]>(HostErrors.File(path, $"cannot read: {Reason(ex)}"));
        }
    }

    /// <summary>At most the first <paramref name="count"/> bytes of a file (fewer when it is shorter).</summary>
    public static Validation<Error, byte[]> ReadPrefix(string path, int count)
    {
        if (string.IsNullOrWhiteSpace(path)) return Fail<Error, byte[]>(HostErrors.File("''", "cannot read: the path is empty"));
        try
        {
            if (Directory.Exists(path)) return Fail<Error, byte[]>(HostErrors.File(path, "cannot read: it is a folder, not a file"));
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            var bytes = new byte[count];
            int total = 0, read;
            while (total < count && (read = stream.Read(bytes, total, count - total)) > 0) total += read;
            return Success<Error, byte[]>(bytes[..total]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Fail<Error, byte[]>(HostErrors.File(path, $"cannot read: {Reason(ex)}"));
        }
    }

    private static string Reason(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => ex.Message,
    };

    private static Validation<Error, byte[]> TooLarge(string path, long? size, long maxBytes) =>
        Fail<Error, byte[]>(HostErrors.File(path, size is { } n
            ? $"cannot read: {n} bytes, more than the limit of {maxBytes} bytes"
            : $"cannot read: more than the limit of {maxBytes} bytes (a device or pipe that does not end?)"));
}
