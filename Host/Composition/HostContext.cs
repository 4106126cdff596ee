using Microsoft.Extensions.Logging;
using RobustNode.Host.Configuration;

namespace RobustNode.Host.Composition;

/// <summary>
/// What the composition root takes from the world, so that a test can run a verb in-process:
/// the console, the folder holding <c>appsettings.json</c>, the CUDA probe and, optionally, other logging and other engines.
/// </summary>
/// <param name="Console">Where output and errors go.</param>
/// <param name="ContentRoot">The folder holding <c>appsettings.json</c> (the binary's folder for the program).</param>
/// <param name="CudaAvailable">Whether CUDA can be used (<c>torch.cuda.is_available()</c> for the program).</param>
/// <param name="ConfigureLogging">Replaces the console logger (tests capture log lines with it).</param>
/// <param name="Engines">Replaces <see cref="CompositionRoot.Engines"/> (tests watch an engine with it).</param>
internal sealed record HostContext(HostConsole Console, string ContentRoot, Func<bool> CudaAvailable, Action<ILoggingBuilder>? ConfigureLogging = null,
    EngineCatalog? Engines = null)
{
    /// <summary>
    /// The real process: stdout/stderr, the binary's folder (or the folder named by <c>DOTNET_CONTENTROOT</c>, the .NET
    /// host's content-root variable), libtorch's CUDA probe, console logging to stderr.
    /// </summary>
    public static HostContext Process => new(HostConsole.Standard,
        Environment.GetEnvironmentVariable(Sweeps.ProgramInvocation.ContentRootVariable) is { Length: > 0 } root ? root : AppContext.BaseDirectory,
        DeviceSelection.CudaAvailable);
}
