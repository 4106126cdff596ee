using RobustNode.Sensitivity.Networks;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// A denoising network with its architecture (which knows what the parameters prove): what a training run produces and
/// a checkpoint restores. <see cref="In"/> turns it into a <see cref="Denoiser"/> value computing in a chosen type.
/// </summary>
/// <param name="Name">Name for reports.</param>
/// <param name="Architecture">How the network is built and what it guarantees.</param>
/// <param name="Network">The network [B, 1, H, W] → [B, 1, H, W] with its trained parameters.</param>
public sealed record TrainedDenoiser(string Name, IDenoiserArchitecture Architecture, IBlock<Tensor> Network)
{
    /// <summary>
    /// The denoiser computing in <paramref name="dtype"/> (Plug-and-Play runs in float64 so that fixed-point residuals
    /// of 1e-6 are above rounding): the network itself when it has that type, else a copy with converted parameters
    /// (new tensors outside any dispose scope). Its Lipschitz bound and averagedness are the architecture's.
    /// </summary>
    public Denoiser In(ScalarType dtype)
    {
        var network = NetworkIn(dtype);
        return Denoiser.FromNetwork(Name, network) with
        {
            LipschitzBound = Architecture.LipschitzBound(network),
            Averagedness = Architecture.Averagedness(network),
        };
    }

    /// <summary>The network with parameters of <paramref name="dtype"/>: itself, or a copy with converted parameters (outside any dispose scope).</summary>
    public IBlock<Tensor> NetworkIn(ScalarType dtype) =>
        Network.Parameters.All(p => p.dtype == dtype)
            ? Network
            : Network.WithParameters(Network.Parameters.Select(p => p.detach().to(dtype).DetachFromDisposeScope()).ToArray());
}
