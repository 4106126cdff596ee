using System.Diagnostics;

namespace RobustNode.Host.Sweeps;

/// <summary>
/// How this process of <c>robustnode</c> was configured — the folder of its <c>appsettings.json</c> and its
/// command-line overrides — so that it can start itself again with the same settings (the <c>sweep</c> verb runs
/// <c>robustnode train</c> once per seed). A DI singleton.
/// </summary>
/// <param name="ContentRoot">The folder holding the <c>appsettings.json</c> this process read.</param>
/// <param name="Overrides">Its configuration overrides, each <c>--Section:Key=value</c>, in order.</param>
/// <param name="ConfigFile">The user's settings file it read after <c>appsettings.json</c>, if any.</param>
internal sealed record ProgramInvocation(string ContentRoot, IReadOnlyList<string> Overrides, string? ConfigFile = null)
{
    /// <summary>The options that give a child the same settings sources: <c>--config FILE</c> when this process had one.</summary>
    public IReadOnlyList<string> SettingsOptions => ConfigFile is null ? [] : ["--config", Path.GetFullPath(ConfigFile)];

    /// <summary>
    /// The environment variable that names the folder of <c>appsettings.json</c> (the .NET host's name for the content
    /// root); without it the program reads the file next to its binary.
    /// </summary>
    public const string ContentRootVariable = "DOTNET_CONTENTROOT";

    /// <summary>
    /// Starts <c>robustnode</c> again — the program next to this assembly, or <c>dotnet robustnode.dll</c> where there
    /// is no native launcher — with <paramref name="arguments"/>, the same settings folder, standard output and error
    /// redirected, and standard input a pipe that this process holds open.
    /// </summary>
    public ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var assembly = typeof(ProgramInvocation).Assembly.Location;
        var launcher = Path.Combine(Path.GetDirectoryName(assembly)!, OperatingSystem.IsWindows() ? "robustnode.exe" : "robustnode");
        ProcessStartInfo start;
        if (File.Exists(launcher)) start = new ProcessStartInfo(launcher);
        else
        {
            start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet");
            start.ArgumentList.Add(assembly);
        }
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment[ContentRootVariable] = Path.GetFullPath(ContentRoot);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        return start;
    }

    /// <summary>The key of an override <c>--Section:Key=value</c>.</summary>
    public static string Key(string @override)
    {
        var body = @override.StartsWith("--", StringComparison.Ordinal) ? @override[2..] : @override;
        int eq = body.IndexOf('=');
        return eq >= 0 ? body[..eq] : body;
    }
}
