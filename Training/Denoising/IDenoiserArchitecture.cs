using LanguageExt;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// A kind of denoising network: how to build it, its canonical description (enough to rebuild it from a checkpoint,
/// see <see cref="DenoiserArchitectures"/>), what constraint training must keep, and what its parameters prove about
/// it. The network maps grey images [B, 1, H, W] to the same shape and is trained by <see cref="DenoiserTrainer"/>
/// through its blocks' adjoint sweeps, so every architecture shares one training path.
/// </summary>
public interface IDenoiserArchitecture
{
    /// <summary>The architecture's name in descriptions and settings ("dncnn").</summary>
    string Name { get; }

    /// <summary>
    /// Every setting that shapes the network, as canonical key–value pairs whose keys start with "architecture"
    /// (the first being "architecture" = <see cref="Name"/>). <see cref="DenoiserArchitectures.FromDescription"/>
    /// rebuilds the architecture from them.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, string>> Describe();

    /// <summary>The network with seeded initialisation, in the given floating-point type.</summary>
    Fin<IBlock<Tensor>> Build(ulong seed, ScalarType dtype);

    /// <summary>
    /// Restores the architecture's constraint on parameters just updated by an optimizer step (a projection, in
    /// place), e.g. a step size within the bound that keeps a gradient-flow step averaged. Does nothing for an
    /// unconstrained network or one whose constraint is built into its parametrisation.
    /// </summary>
    void Constrain(IReadOnlyList<Tensor> parameters) { }

    /// <summary>A Lipschitz bound of the network with these parameters, when the construction proves one.</summary>
    Option<double> LipschitzBound(IBlock<Tensor> network) => None;

    /// <summary>α such that the network with these parameters is α-averaged, when the construction proves it.</summary>
    Option<double> Averagedness(IBlock<Tensor> network) => None;
}
