namespace RobustNode.Host.IO;

/// <summary>
/// Writes a file all at once: the content goes to a temporary file in the same folder, which is then renamed over the
/// target. A reader never sees a half-written file, and a failure leaves the target as it was. A symbolic link is
/// followed, so the file it points to is replaced and the link stays; a device or pipe (<c>/dev/null</c>,
/// <c>/dev/stdout</c>) is written through, never renamed over; a folder is refused.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="write"/>'s output to <paramref name="path"/>, creating its folder if needed.</summary>
    /// <exception cref="IOException">The path is empty, names a folder, or cannot be written.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new IOException("the path is empty");
        var full = Target(Path.GetFullPath(path));
        switch (FileKinds.Of(full))
        {
            case FileKind.Directory:
                throw new IOException($"'{full}' is a folder, not a file");
            case FileKind.Special:
                using (var device = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                {
                    write(device);
                    device.Flush();
                }
                return;
        }
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes bytes atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>The final target of a chain of symbolic links (the path itself when it is no link).</summary>
    private static string Target(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null) return path;
        var final = File.ResolveLinkTarget(path, returnFinalTarget: true);
        return final is null ? path : Path.GetFullPath(final.FullName);
    }

    /// <summary>True for the temporary files this class leaves behind when the process is killed mid-write.</summary>
    public static bool IsTemporary(string fileName) => fileName.StartsWith('.') && fileName.EndsWith(".tmp", StringComparison.Ordinal);
}
