using Microsoft.Extensions.Configuration;

namespace RobustNode.Host.Configuration;

/// <summary>
/// Where settings come from, in the usual .NET order of precedence (later wins):
/// <c>appsettings.json</c> next to the binary, environment variables prefixed <c>ROBUSTNODE_</c>
/// (<c>ROBUSTNODE_Solver__Name=dopri5</c>), then command-line overrides (<c>--Solver:Name=dopri5</c>).
/// </summary>
public static class ConfigurationSources
{
    /// <summary>The settings file's name.</summary>
    public const string SettingsFile = "appsettings.json";

    /// <summary>Prefix of the environment variables that override settings.</summary>
    public const string EnvironmentPrefix = "ROBUSTNODE_";

    /// <summary>Builds the configuration; throws <see cref="InvalidDataException"/> when the settings file is not valid JSON.</summary>
    /// <param name="contentRoot">Folder holding <c>appsettings.json</c> (optional file).</param>
    /// <param name="overrides">Command-line overrides, each <c>--Section:Key=value</c>.</param>
    public static IConfigurationRoot Build(string contentRoot, IEnumerable<string> overrides) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Path.GetFullPath(contentRoot), SettingsFile), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddCommandLine(overrides.ToArray())
            .Build();
}
