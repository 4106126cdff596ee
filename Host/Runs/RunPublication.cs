using System.Runtime.InteropServices;
using RobustNode.Host.IO;

namespace RobustNode.Host.Runs;

/// <summary>
/// Publishes a run's final results all at once. The results (report, plots, models) are written into a new folder
/// beside the run, <c>.&lt;run&gt;.publishing-&lt;id&gt;</c>, together with a copy of what the run folder holds besides
/// results (its checkpoints); then the two folders are swapped in one step (Linux <c>renameat2</c> with
/// <c>RENAME_EXCHANGE</c>; elsewhere two renames, with the previous folder kept under a hidden name until the new
/// one is in place) and the previous results are deleted. A failure before the swap — a full disk, a kill — leaves
/// the run folder exactly as it was, previous report, plots and models together; <see cref="Clean"/> removes what
/// such a failure left beside it. The run folder is a new folder afterwards: a file in it that another process keeps
/// open across the publication (the sweep's <c>train.log</c>) is to be written by path, not through a kept handle.
/// </summary>
internal static class RunPublication
{
    /// <summary>The files and folders of a run folder that a publication replaces: the report, the plots, the models.</summary>
    public static bool IsResult(FileSystemInfo entry) =>
        entry.Name is "report.json" or "report.md" or "models"
        || (entry is FileInfo && entry.Name.EndsWith(".png", StringComparison.OrdinalIgnoreCase));

    /// <summary>Writes the results with <paramref name="write"/> into a staging folder and swaps it with the run folder.</summary>
    /// <exception cref="IOException">Writing or swapping failed; the run folder is unchanged.</exception>
    public static void Publish(RunFolder folder, Action<RunFolder> write)
    {
        // A run folder that is a symbolic link is followed: the folder it points to is replaced, the link stays.
        var run = Path.GetFullPath(folder.Path);
        if (new DirectoryInfo(run).LinkTarget is not null && Directory.ResolveLinkTarget(run, returnFinalTarget: true) is { } target)
            run = Path.GetFullPath(target.FullName);
        var parent = Path.GetDirectoryName(run)!;
        var name = Path.GetFileName(run);
        var staging = Path.Combine(parent, $".{name}.publishing-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            if (Directory.Exists(run))
                foreach (var entry in new DirectoryInfo(run).EnumerateFileSystemInfos().Where(e => !IsResult(e)))
                    Copy(entry, Path.Combine(staging, entry.Name));
            var staged = new RunFolder(staging);
            Directory.CreateDirectory(staged.Models);
            write(staged);
        }
        catch
        {
            Delete(staging);
            throw;
        }
        Swap(staging, run, parent, name);
    }

    /// <summary>Moves the staging folder into place; the previous run folder is deleted afterwards.</summary>
    private static void Swap(string staging, string run, string parent, string name)
    {
        if (!Directory.Exists(run))
        {
            Directory.Move(staging, run);
            return;
        }
        if (OperatingSystem.IsLinux() && Exchange(staging, run))
        {
            Delete(staging); // now the previous results
            return;
        }
        var previous = Path.Combine(parent, $".{name}.previous-{Guid.NewGuid():N}");
        Directory.Move(run, previous);
        try
        {
            Directory.Move(staging, run);
        }
        catch
        {
            Directory.Move(previous, run);
            Delete(staging);
            throw;
        }
        Delete(previous);
    }

    /// <summary>
    /// Removes what an interrupted run left behind: temporary files of atomic writes in the run folder, its models and
    /// checkpoints, and staging or previous folders of an interrupted publication beside it. Returns how many were removed.
    /// </summary>
    public static int Clean(RunFolder folder)
    {
        var run = Path.GetFullPath(folder.Path);
        var parent = Path.GetDirectoryName(run)!;
        var name = Path.GetFileName(run);
        int removed = 0;
        foreach (var dir in new[] { run, folder.Models, folder.Checkpoints }.Where(Directory.Exists))
            foreach (var file in Directory.EnumerateFiles(dir).Where(f => AtomicFile.IsTemporary(Path.GetFileName(f)) || Path.GetFileName(f).StartsWith(".write-test-", StringComparison.Ordinal)))
            {
                File.Delete(file);
                removed++;
            }
        if (Directory.Exists(parent))
            foreach (var leftover in Directory.EnumerateDirectories(parent, $".{name}.*")
                         .Where(d => Path.GetFileName(d) is var n && (n.StartsWith($".{name}.publishing-", StringComparison.Ordinal) || n.StartsWith($".{name}.previous-", StringComparison.Ordinal))))
            {
                Delete(leftover);
                removed++;
            }
        return removed;
    }

    private static void Copy(FileSystemInfo entry, string target)
    {
        if (entry is DirectoryInfo dir)
        {
            Directory.CreateDirectory(target);
            foreach (var child in dir.EnumerateFileSystemInfos()) Copy(child, Path.Combine(target, child.Name));
        }
        else if (!AtomicFile.IsTemporary(entry.Name)) File.Copy(entry.FullName, target);
    }

    private static void Delete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover is harmless: the next train of this run removes it (Clean).
        }
    }

    /// <summary>Exchanges two folders atomically (renameat2 RENAME_EXCHANGE); false where the system cannot.</summary>
    private static bool Exchange(string a, string b)
    {
        try
        {
            return RenameAt2(AtCurrentDirectory, a, AtCurrentDirectory, b, RenameExchange) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private const int AtCurrentDirectory = -100;
    private const uint RenameExchange = 2;

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(int oldDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath,
        int newDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath, uint flags);
}
