using RobustNode.Host.Experiments;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Host.Configuration;

/// <summary>
/// The torch runtime the verbs compute on (section <c>Torch</c>): the resolved device, the floating-point
/// type of the states the host creates (float64 by default for solve and sensitivity) and the number of
/// intra-op threads.
/// </summary>
internal sealed record TorchRuntime(DeviceType DeviceType, ScalarType DType, int Threads)
{
    /// <summary>The torch device.</summary>
    public Device Device => new(DeviceType);

    /// <summary>Sets libtorch's intra-op thread count (<c>torch.set_num_threads</c>) if it differs.</summary>
    public void Apply()
    {
        if (torch.get_num_threads() != Threads) torch.set_num_threads(Threads);
    }
}

/// <summary>Defaults of the <c>Solver</c> section, used where a problem file does not say otherwise.</summary>
/// <param name="Name">Default solver name.</param>
/// <param name="StepsPerLayer">Constant steps per layer.</param>
/// <param name="RelativeTolerance">rtol of adaptive solves.</param>
/// <param name="AbsoluteTolerance">atol of adaptive solves.</param>
/// <param name="MaxSteps">Most steps an adaptive solve may take.</param>
internal sealed record SolverDefaults(string Name, int StepsPerLayer, double RelativeTolerance, double AbsoluteTolerance, int MaxSteps);

/// <summary>The <c>Output</c> section: where verbs write their results by default (relative to the working directory).</summary>
internal sealed record OutputSettings(string Folder);

/// <summary>
/// The <c>Engine</c> section: which engine computes, <c>auto</c> (the default: the managed engine for dense fields when
/// it is registered, else torch) or a name of the <see cref="EngineCatalog"/>. Experiments may override it
/// (<c>Model:Engine</c>), problem files too (<c>"engine"</c>).
/// </summary>
/// <param name="Name"><c>auto</c> or a registered engine's name.</param>
internal sealed record EngineSettings(string Name);

/// <summary>Every setting of the host, validated into core values at start-up.</summary>
internal sealed record HostSettings(TorchRuntime Torch, DeviceDecision Device, SolverDefaults Solver, OutputSettings Output, SolverRegistry Solvers,
    ExperimentCatalog Experiments, EngineSettings Engine);
