using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using TorchSharp;
using Xunit;

namespace RobustNode.Tests.Host;

[Collection(nameof(Collections.LibtorchThreadCount))]
public class DeviceSelectionTests
{
    private static DeviceDecision Chosen(DeviceRequest request, bool cuda) =>
        DeviceSelection.Select(request, () => cuda).Match(Succ: d => d, Fail: e => throw new Xunit.Sdk.XunitException(e.Head.Message));

    [Fact]
    public void Auto_falls_back_to_the_cpu_without_cuda() =>
        Assert.Equal(new DeviceDecision(DeviceType.CPU, FellBackToCpu: true), Chosen(DeviceRequest.Auto, cuda: false));

    [Fact]
    public void Auto_takes_cuda_when_available() =>
        Assert.Equal(new DeviceDecision(DeviceType.CUDA, FellBackToCpu: false), Chosen(DeviceRequest.Auto, cuda: true));

    [Fact]
    public void Cuda_takes_cuda_when_available() =>
        Assert.Equal(DeviceType.CUDA, Chosen(DeviceRequest.Cuda, cuda: true).Device);

    [Fact]
    public void Cpu_never_asks_for_cuda() =>
        Assert.Equal(DeviceType.CPU, DeviceSelection.Select(DeviceRequest.Cpu, () => throw new InvalidOperationException("asked")).Match(d => d.Device, _ => DeviceType.CUDA));

    [Fact]
    public void Cuda_without_cuda_is_an_error_naming_the_setting_and_the_fix()
    {
        var errors = DeviceSelection.Select(DeviceRequest.Cuda, () => false).Match(_ => [], e => e.Map(x => x.Message).ToArray());
        var message = Assert.Single(errors);
        Assert.StartsWith("Torch:Device: 'cuda' was requested but CUDA is not available", message);
        Assert.Contains("-p:TorchBackend=cuda", message);
    }

    [Fact]
    public void Here_auto_uses_cuda_if_libtorch_has_it_else_the_cpu_with_a_log_line()
    {
        bool cuda = DeviceSelection.CudaAvailable();
        using var folder = new TempFolder();
        var problem = folder.Write("p.json", ProblemSamples.NodeTanh().ToJsonString());
        var run = Robustnode.Run(folder, ["solve", "--problem", problem, "--out", folder.File("o.json"), "--Torch:Device=auto"],
            cudaAvailable: DeviceSelection.CudaAvailable);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(!cuda, run.Log.Contains(DeviceSelection.FallbackMessage));
    }

    [Fact]
    public void Here_cuda_is_refused_at_start_up_unless_libtorch_has_it()
    {
        bool cuda = DeviceSelection.CudaAvailable();
        using var folder = new TempFolder();
        var problem = folder.Write("p.json", ProblemSamples.NodeTanh().ToJsonString());
        var run = Robustnode.Run(folder, ["solve", "--problem", problem, "--out", folder.File("o.json"), "--Torch:Device=cuda"],
            cudaAvailable: DeviceSelection.CudaAvailable);

        Assert.Equal(cuda ? ExitCodes.Success : ExitCodes.InvalidInput, run.ExitCode);
        Assert.Equal(cuda, File.Exists(folder.File("o.json")));
        if (!cuda) Assert.Contains("Torch:Device: 'cuda' was requested but CUDA is not available", run.Error);
    }
}
