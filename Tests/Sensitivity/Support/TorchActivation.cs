using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>The activations written with torch operations on (tracked) tensors, for autograd references.</summary>
public static class TorchActivation
{
    /// <summary>σ(z) for <paramref name="activation"/>.</summary>
    public static Tensor Apply(Activation activation, Tensor z) => activation.Kind switch
    {
        ActivationKind.Tanh => z.tanh(),
        ActivationKind.Relu => z.relu(),
        ActivationKind.Softplus => TorchScalars.Softplus(z),
        ActivationKind.Sigmoid => z.sigmoid(),
        ActivationKind.Identity => z,
        _ => throw new NotSupportedException($"no torch reference for the activation {activation.Name}"),
    };
}
