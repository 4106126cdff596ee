using System.Runtime.InteropServices;

namespace RobustNode.Host.IO;

/// <summary>What a path names, following symbolic links: nothing, a regular file, a folder, or something else (a device such as <c>/dev/null</c>, a pipe, a socket).</summary>
internal enum FileKind
{
    /// <summary>Nothing exists there.</summary>
    Missing,
    /// <summary>A regular file.</summary>
    Regular,
    /// <summary>A folder.</summary>
    Directory,
    /// <summary>A device, pipe or socket: written through, never replaced.</summary>
    Special,
}

/// <summary>
/// The kind of a path. .NET reports devices and pipes as normal files, so on Linux the type comes from
/// <c>statx(2)</c>, whose layout is the same on every architecture (the file type is in <c>stx_mode</c> at offset 28).
/// </summary>
internal static class FileKinds
{
    /// <summary>The kind of the path, symbolic links followed.</summary>
    public static FileKind Of(string path)
    {
        if (Directory.Exists(path)) return FileKind.Directory;
        if (!File.Exists(path)) return FileKind.Missing;
        if (!OperatingSystem.IsLinux()) return FileKind.Regular;
        var buffer = new byte[256];
        try
        {
            if (Statx(AtCurrentDirectory, path, 0, StatxType, buffer) != 0) return FileKind.Regular;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return FileKind.Regular;
        }
        int type = BitConverter.ToUInt16(buffer, 28) & 0xF000;
        return type switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            _ => FileKind.Special,
        };
    }

    private const int AtCurrentDirectory = -100;
    private const uint StatxType = 0x1;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}
