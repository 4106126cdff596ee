using RobustNode.Sensitivity.Attacks;
using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Host.Runs;

/// <summary>
/// The affine map x' = (x − μ) / σ from input units (grey levels in [0, 1], or the plane's coordinates) to what the
/// network sees. Radii and boxes are configured and reported in input units; attacks act on the network's inputs, so
/// an ε-ball becomes an ε/σ-ball in every q-norm (σ is a scalar) and the box is mapped like the inputs.
/// </summary>
/// <param name="Mean">μ.</param>
/// <param name="Std">σ &gt; 0.</param>
internal sealed record InputScale(double Mean, double Std)
{
    /// <summary>The identity (point clouds, and images with unit normalisation).</summary>
    public static InputScale Identity { get; } = new(0, 1);

    /// <summary>True for the identity.</summary>
    public bool IsIdentity => Mean == 0 && Std == 1;

    /// <summary>A radius in network units.</summary>
    public double Radius(double epsilon) => epsilon / Std;

    /// <summary>A box in network units.</summary>
    public InputBox? Box(InputBox? box) => box is null || IsIdentity ? box : new InputBox((box.Min - Mean) / Std, (box.Max - Mean) / Std);

    /// <summary>Inputs in network units (a new tensor).</summary>
    public Tensor ToNetwork(Tensor x)
    {
        if (IsIdentity) return x.clone();
        using var scope = NewDisposeScope();
        return x.Minus(Mean).Over(Std).MoveToOuterDisposeScope();
    }

    /// <summary>Network inputs back in input units (a new tensor).</summary>
    public Tensor ToInput(Tensor x)
    {
        if (IsIdentity) return x.clone();
        using var scope = NewDisposeScope();
        return x.Times(Std).Plus(Mean).MoveToOuterDisposeScope();
    }
}
