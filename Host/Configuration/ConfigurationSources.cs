using System.Text.Json;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Host.Composition;
using RobustNode.Host.IO;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Configuration;

/// <summary>
/// Where settings come from, in the usual .NET order of precedence (later wins): the shipped <c>appsettings.json</c>
/// next to the binary (the defaults and the built-in experiments), then the file of <c>--config FILE</c> if given,
/// then environment variables prefixed <c>ROBUSTNODE_</c> (<c>ROBUSTNODE_Solver__Name=dopri5</c>), then command-line
/// overrides (<c>--Solver:Name=dopri5</c>). An <c>appsettings.json</c> in the working folder is not read: a user's
/// own settings file is named with <c>--config</c>. A settings file that is not valid JSON is reported with its path,
/// line and column.
/// </summary>
internal static class ConfigurationSources
{
    /// <summary>The settings file's name.</summary>
    public const string SettingsFile = "appsettings.json";

    /// <summary>Prefix of the environment variables that override settings.</summary>
    public const string EnvironmentPrefix = "ROBUSTNODE_";

    /// <summary>Largest settings file read (bytes).</summary>
    public const long MaxSettingsBytes = 16L << 20;

    /// <summary>Builds the configuration, or every problem with the settings files (unreadable, not JSON, not an object).</summary>
    /// <param name="contentRoot">Folder holding the shipped <c>appsettings.json</c> (optional file).</param>
    /// <param name="configFile">The user's settings file (<c>--config</c>), read after the shipped one, or null.</param>
    /// <param name="overrides">Command-line overrides, each <c>--Section:Key=value</c>.</param>
    public static Validation<Error, IConfigurationRoot> Build(string contentRoot, string? configFile, IEnumerable<string> overrides)
    {
        var shipped = Path.Combine(Path.GetFullPath(contentRoot), SettingsFile);
        var files = new List<Validation<Error, byte[]>>();
        if (File.Exists(shipped)) files.Add(Read(shipped, "Settings"));
        if (configFile is not null) files.Add(Read(configFile, "--config"));
        return files.Sequence().Map(contents =>
        {
            var builder = new ConfigurationBuilder();
            foreach (var bytes in contents) builder.AddJsonStream(new MemoryStream(bytes));
            return builder
                .AddEnvironmentVariables(EnvironmentPrefix)
                .AddCommandLine(overrides.ToArray())
                .Build();
        });
    }

    /// <summary>A settings file's bytes, checked to be a JSON object of valid strings.</summary>
    private static Validation<Error, byte[]> Read(string path, string what) =>
        InputFile.ReadBytes(path, MaxSettingsBytes).Bind(bytes =>
        {
            Error At(string reason) => HostErrors.File(path, $"invalid settings file: {reason}");
            try
            {
                using var document = JsonDocument.Parse(bytes, JsonText.Options);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    return Fail<Error, byte[]>(At($"expected a JSON object, got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}"));
                var invalid = JsonText.InvalidStrings(document.RootElement);
                return invalid.Count == 0
                    ? Success<Error, byte[]>(bytes)
                    : Fail<Error, byte[]>(Seq(invalid.Select(p => At($"{p}: {JsonText.InvalidStringReason}"))));
            }
            catch (JsonException ex)
            {
                return Fail<Error, byte[]>(At(JsonText.Where(ex)));
            }
        });
}
