using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.IO;

/// <summary>Reads input files, turning the usual I/O failures into errors that name the file.</summary>
public static class InputFile
{
    /// <summary>The UTF-8 text of a file.</summary>
    public static Validation<Error, string> ReadText(string path)
    {
        try
        {
            return Success<Error, string>(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var reason = ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied",
                _ => ex.Message,
            };
            return Fail<Error, string>(HostErrors.File(path, $"cannot read: {reason}"));
        }
    }
}
