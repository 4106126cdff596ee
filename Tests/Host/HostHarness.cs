using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;

namespace RobustNode.Tests.Host;

/// <summary>A temporary folder, deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("robustnode-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Log lines captured in memory.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToArray(); } }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(CapturedLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._lines) owner._lines.Add(formatter(state, exception));
        }
    }
}

/// <summary>The outcome of one in-process run of <c>robustnode</c>.</summary>
public sealed record HostRun(int ExitCode, string Out, string Error, IReadOnlyList<string> Log);

/// <summary>
/// Runs <c>robustnode</c> in-process through the composition root, with a settings file of the test's choosing
/// (the repository's appsettings.json by default), a CUDA probe, other engines if given, and captured output.
/// </summary>
internal static class Robustnode
{
    /// <summary>The repository's settings file, as copied next to the test binaries.</summary>
    public static string DefaultSettings => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json"));

    /// <param name="folder">Where the settings file is written.</param>
    /// <param name="args">The command line.</param>
    /// <param name="settings">The settings file's text (default: the repository's).</param>
    /// <param name="cudaAvailable">The CUDA probe (default: none).</param>
    /// <param name="engines">Other engines (default: the program's).</param>
    /// <param name="log">Where log lines go while the verb runs (default: a fresh capture).</param>
    public static HostRun Run(TempFolder folder, string[] args, string? settings = null, Func<bool>? cudaAvailable = null,
        RobustNode.Host.Configuration.EngineCatalog? engines = null, CapturedLog? log = null)
    {
        var contentRoot = ContentRoot(folder, settings);
        var output = new StringWriter();
        var error = new StringWriter();
        log ??= new CapturedLog();
        var context = new HostContext(new HostConsole(output, error), contentRoot, cudaAvailable ?? (() => false),
            logging => logging.ClearProviders().AddProvider(log), engines);
        // A run sets libtorch's process-wide thread count (Torch:Threads, an experiment's Threads); the tests after it keep theirs.
        int threads = TorchSharp.torch.get_num_threads();
        try
        {
            int code = CompositionRoot.Run(args, context);
            return new HostRun(code, output.ToString(), error.ToString(), log.Lines);
        }
        finally
        {
            if (TorchSharp.torch.get_num_threads() != threads) TorchSharp.torch.set_num_threads(threads);
        }
    }

    /// <summary>A new folder holding <c>appsettings.json</c> with the given text (default: the repository's).</summary>
    public static string ContentRoot(TempFolder folder, string? settings = null)
    {
        var contentRoot = Directory.CreateDirectory(Path.Combine(folder.Path, "content-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        File.WriteAllText(Path.Combine(contentRoot, "appsettings.json"), settings ?? DefaultSettings);
        return contentRoot;
    }

    /// <summary>The repository's settings file with some values replaced (paths like "Solver:Name").</summary>
    public static string SettingsWith(params (string Path, JsonNode? Value)[] changes)
    {
        var root = JsonNode.Parse(DefaultSettings, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        foreach (var (path, value) in changes)
        {
            var keys = path.Split(':');
            var node = root;
            foreach (var key in keys[..^1])
            {
                if (node[key] is not JsonObject child) node[key] = child = new JsonObject();
                node = child;
            }
            node[keys[^1]] = value;
        }
        return root.ToJsonString();
    }
}
