using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Problems;

/// <summary>Moves result tensors out of a method's dispose scope.</summary>
internal static class Escape
{
    public static LossGradient Out(this LossGradient g) => g with
    {
        ControlGradients = g.ControlGradients.Select(t => t.MoveToOuterDisposeScope()).ToArray(),
        InputSensitivity = g.InputSensitivity.MoveToOuterDisposeScope(),
        FinalState = g.FinalState.MoveToOuterDisposeScope(),
    };

    public static AugmentedGradient Out(this AugmentedGradient g) => g with
    {
        AugmentedControlGradients = g.AugmentedControlGradients.Select(t => t.MoveToOuterDisposeScope()).ToArray(),
        FirstOrder = g.FirstOrder.Out(),
    };
}
