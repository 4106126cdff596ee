using LanguageExt;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>Plain evaluation of a block: the forward pass only, nothing kept for reverse sweeps.</summary>
public static class Inference
{
    /// <summary>The block's output for inputs x [B, …] (e.g. class logits of a network), checked against its shape first.</summary>
    public static Fin<Tensor> Output(IBlock model, Tensor x)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.Forward(x).Map(forward =>
        {
            using var _ = forward;
            return forward.Final.detach().MoveToOuterDisposeScope();
        });
    }
}
