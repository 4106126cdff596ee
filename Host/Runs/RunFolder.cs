using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Runs;

/// <summary>
/// The files of a training run, <c>&lt;Output:Folder&gt;/&lt;run&gt;/</c>: <c>report.json</c>, <c>report.md</c>, the
/// plots, <c>models/&lt;trainer&gt;.ckpt</c> (final models) and <c>checkpoints/&lt;trainer&gt;.ckpt</c> with
/// <c>checkpoints/&lt;trainer&gt;.history.json</c> (written after every epoch).
/// </summary>
internal sealed record RunFolder(string Path)
{
    /// <summary>The folder of the run named <paramref name="run"/> under the output folder, or an error when the name is not a plain folder name.</summary>
    public static Validation<Error, RunFolder> For(string outputFolder, string run)
    {
        if (string.IsNullOrWhiteSpace(run) || run is "." or ".." || run.IndexOfAny(['/', '\\']) >= 0 || run.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0)
            return Fail<Error, RunFolder>(HostErrors.CommandLine("--name", $"'{run}' is not a plain folder name (no slashes)"));
        return Success<Error, RunFolder>(new RunFolder(System.IO.Path.Combine(outputFolder, run)));
    }

    /// <summary>Path of <c>report.json</c>, the machine-readable report of the run.</summary>
    public string ReportJson => File("report.json");
    /// <summary>Path of <c>report.md</c>, the human-readable report of the run.</summary>
    public string ReportMarkdown => File("report.md");
    /// <summary>Path of the <c>models/</c> folder (final models).</summary>
    public string Models => System.IO.Path.Combine(Path, "models");
    /// <summary>Path of the <c>checkpoints/</c> folder (written after every epoch).</summary>
    public string Checkpoints => System.IO.Path.Combine(Path, "checkpoints");
    /// <summary>Path of the final model of <paramref name="trainer"/>: <c>models/&lt;trainer&gt;.ckpt</c>.</summary>
    public string Model(string trainer) => System.IO.Path.Combine(Models, trainer + ".ckpt");
    /// <summary>Path of the latest epoch checkpoint of <paramref name="trainer"/>: <c>checkpoints/&lt;trainer&gt;.ckpt</c>.</summary>
    public string Checkpoint(string trainer) => System.IO.Path.Combine(Checkpoints, trainer + ".ckpt");
    /// <summary>Path of the training history of <paramref name="trainer"/>: <c>checkpoints/&lt;trainer&gt;.history.json</c>.</summary>
    public string History(string trainer) => System.IO.Path.Combine(Checkpoints, trainer + ".history.json");
    /// <summary>Path of the file <paramref name="name"/> directly in the run folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// Creates the folders and proves they are writable by writing and deleting a small file in each, before any
    /// training starts; the error names the folder.
    /// </summary>
    public Validation<Error, RunFolder> EnsureWritable()
    {
        foreach (var folder in new[] { Path, Models, Checkpoints })
        {
            try
            {
                Directory.CreateDirectory(folder);
                var probe = System.IO.Path.Combine(folder, $".write-test-{Guid.NewGuid():N}");
                System.IO.File.WriteAllBytes(probe, []);
                System.IO.File.Delete(probe);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                return Fail<Error, RunFolder>(HostErrors.File(folder, $"the output folder is not writable: {ex.Message}"));
            }
        }
        return Success<Error, RunFolder>(this);
    }
}
