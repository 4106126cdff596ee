using LanguageExt;

namespace RobustNode.Sensitivity.Networks;

/// <summary>Plain evaluation of a block: the forward pass only, nothing kept for reverse sweeps.</summary>
public static class Inference
{
    /// <summary>The block's output for inputs x [B, …] (e.g. class logits of a network), checked against its shape first.</summary>
    public static Fin<T> Output<T>(IBlock<T> model, T x)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        using var untracked = engine.Untracked();
        return model.Forward(x).Map(forward =>
        {
            using var _ = forward;
            return engine.Keep(forward.Final);
        });
    }
}
