using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using TorchSharp;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Configuration;

/// <summary>The <c>Torch:Device</c> setting.</summary>
internal enum DeviceRequest
{
    /// <summary>Always the CPU.</summary>
    Cpu,
    /// <summary>The GPU; an error where CUDA is not available.</summary>
    Cuda,
    /// <summary>CUDA where available, else the CPU (with a log line).</summary>
    Auto,
}

/// <summary>The device chosen for a request, and whether <c>auto</c> fell back to the CPU.</summary>
internal sealed record DeviceDecision(DeviceType Device, bool FellBackToCpu);

/// <summary>Turns a <see cref="DeviceRequest"/> into a device, given whether CUDA is available.</summary>
internal static class DeviceSelection
{
    /// <summary>The log line written when <c>auto</c> falls back to the CPU.</summary>
    public const string FallbackMessage = "CUDA not available; using CPU";

    /// <summary>cpu → CPU; cuda → CUDA or an error naming the fix; auto → CUDA if available, else CPU.</summary>
    /// <param name="request">The requested device.</param>
    /// <param name="cudaAvailable">Asks libtorch (<c>torch.cuda.is_available()</c>); called only for cuda and auto.</param>
    public static Validation<Error, DeviceDecision> Select(DeviceRequest request, Func<bool> cudaAvailable) => request switch
    {
        DeviceRequest.Cpu => Success<Error, DeviceDecision>(new DeviceDecision(DeviceType.CPU, false)),
        DeviceRequest.Cuda when cudaAvailable() => Success<Error, DeviceDecision>(new DeviceDecision(DeviceType.CUDA, false)),
        DeviceRequest.Cuda => Fail<Error, DeviceDecision>(HostErrors.Configuration("Torch:Device",
            "'cuda' was requested but CUDA is not available (this build uses TorchSharp-cpu, or no GPU/driver was found); " +
            "build with `dotnet build -p:TorchBackend=cuda` on a machine with an NVIDIA GPU, or set Torch:Device to cpu or auto")),
        _ => Success<Error, DeviceDecision>(cudaAvailable()
            ? new DeviceDecision(DeviceType.CUDA, false)
            : new DeviceDecision(DeviceType.CPU, true)),
    };

    /// <summary>The real probe: <c>torch.cuda.is_available()</c>.</summary>
    public static bool CudaAvailable() => torch.cuda.is_available();
}
