using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Core.Spectral;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Lipschitz;

/// <summary>
/// Upper bounds of the ℓ2 Lipschitz constants of blocks and networks, per sample: a network's bound is the product of
/// its blocks' bounds, each proven for its kind —
/// zero padding 1 (an isometric embedding);
/// an affine read-out ‖W‖₂ (exact singular values);
/// a convolutional layer σ(W ∗ z + b) sup σ' times the proven bound of the stride-1 convolution on its input grid
/// (striding is a restriction of norm 1);
/// global average pooling 1/√(HW) (each channel's mean is a unit vector scaled by 1/√(HW));
/// an ODE block the product of its steps' bounds, (Π_k step_k^n) with n constant steps of size h per layer — for
/// explicit Euler steps of gradient flows the sharp max(1, hL − 1) (contractive) or 1 + hL (expansive), for any other
/// field or tableau the stage recurrence of the field's Lipschitz constant (<see cref="RungeKuttaLipschitz"/>).
/// Blocks of other kinds state their own (<see cref="ILipschitzBlock"/>).
/// </summary>
public static class LipschitzBounds
{
    /// <summary>A bound of the block's Lipschitz constant on inputs of the given shape [B, …], or why none is known.</summary>
    public static Fin<LipschitzBound> Of<T>(IBlock<T> block, long[] inputShape) => block.OutputShape(inputShape).Bind(_ => block switch
    {
        ILipschitzBlock own => own.LipschitzBound(inputShape),
        Network<T> network => OfNetwork(network, inputShape),
        ZeroPaddingBlock<T> => FinSucc(LipschitzBound.Of(block.Name, 1, "zero padding: an isometric embedding")),
        LinearBlock<T> linear => FinSucc(OfLinear(linear)),
        OdeBlock<T> ode => OfOde(ode),
        ConvolutionBlock convolution => FinSucc(OfConvolution(convolution, inputShape)),
        GlobalAveragePoolingBlock => FinSucc(LipschitzBound.Of(block.Name, 1 / Math.Sqrt(inputShape[2] * inputShape[3]), "average of H·W values: 1/√(HW)")),
        _ => FinFail<LipschitzBound>(RobustNodeErrors.InvalidArgument(block.Name, $"no Lipschitz bound is known for a block of kind {block.GetType().Name}")),
    });

    private static Fin<LipschitzBound> OfNetwork<T>(Network<T> network, long[] inputShape)
    {
        var parts = new List<LipschitzBound>();
        var shape = inputShape;
        foreach (var block in network.Blocks)
        {
            var bound = Of(block, shape);
            if (bound.IsFail) return bound;
            parts.Add((LipschitzBound)bound);
            shape = (long[])block.OutputShape(shape);
        }
        return LipschitzBound.Product(parts);
    }

    private static LipschitzBound OfLinear<T>(LinearBlock<T> linear)
    {
        var shape = linear.Engine.Shape(linear.Weight);
        double norm = DenseSpectrum.SpectralNorm(linear.Engine.ToArray(linear.Weight), (int)shape[0], (int)shape[1]);
        return LipschitzBound.Of(linear.Name, norm, "‖W‖₂ (exact singular values)");
    }

    private static LipschitzBound OfConvolution(ConvolutionBlock convolution, long[] inputShape)
    {
        double norm = ConvolutionSpectrum.UpperBound(convolution.Weight, inputShape[2], inputShape[3]);
        return LipschitzBound.Of(convolution.Name, convolution.Activation.SlopeBound * norm,
            "sup σ' · ‖W ∗ ·‖₂ (circular convolution on the padded grid; stride ≤ 1)");
    }

    private static Fin<LipschitzBound> OfOde<T>(OdeBlock<T> ode)
    {
        if (ode.Field is not ILipschitzField field)
            return FinFail<LipschitzBound>(RobustNodeErrors.InvalidArgument(ode.Name, $"no Lipschitz constant is known for the field {ode.Field.GetType().Name}"));
        return OdeBlockSteps.Of(ode).Map(steps =>
        {
            double bound = 1;
            for (int k = 0; k < ode.Field.Grid.Layers; k++)
                bound *= Math.Pow(field.StepBound(k, ode.Solver.Tableau, steps.Size), steps.PerLayer);
            bool sharp = RungeKuttaLipschitz.IsEuler(ode.Solver.Tableau) && field is IStepConstrainedField;
            var reason = sharp
                ? $"{steps.PerLayer * ode.Field.Grid.Layers} Euler steps of gradient flows: max(1, hL − 1) contractive, 1 + hL expansive"
                : $"{steps.PerLayer * ode.Field.Grid.Layers} {ode.Solver.Tableau.Name} steps: stage recurrence of the field's Lipschitz constants";
            return LipschitzBound.Of(ode.Name, bound, reason);
        });
    }
}
