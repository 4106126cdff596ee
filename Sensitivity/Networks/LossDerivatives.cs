using LanguageExt;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// Loss-level derivatives of any block (an ODE block or a whole network): J = mean ℓᵢ with ∇_θ J and p(0),
/// and the augmented loss 𝒥 = mean ᵢ[ℓᵢ + ε‖pᵢ(0)‖_{q*}] with ∇_θ 𝒥 by the four sweeps of DESIGN §1:
/// forward; reverse → p(0), v = ∇φ(p(0)); tangent from v; second-order reverse from (∇ℓ, ∇²ℓ·σ).
/// </summary>
public static class LossDerivatives
{
    /// <summary>J, ∇_θ J (mean over the batch) and the per-sample input sensitivity p(0).</summary>
    public static Fin<LossGradient> Gradient(IBlock model, Tensor x0, ILoss loss, bool withParameters = true)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long batch = x0.shape[0];
        return model.Forward(x0).Bind(forward =>
        {
            using var _ = forward;
            var xT = forward.Final;
            return forward.Reverse(loss.Gradient(xT), withParameters).Map(reverse =>
                new LossGradient(loss.PerSample(xT).mean().to(float64).item<double>(),
                    reverse.Controls.Select(g => g.div(batch)).ToArray(),
                    reverse.Lambda0, xT, forward.Statistics + reverse.Statistics).Out());
        });
    }

    /// <summary>p(0): row i is ∇_{x₀ᵢ} ℓᵢ, the direction an attack follows (no parameter gradients computed).</summary>
    public static Fin<Tensor> InputSensitivity(IBlock model, Tensor x0, ILoss loss) =>
        Gradient(model, x0, loss, withParameters: false).Map(g => { g.FinalState.Dispose(); return g.InputSensitivity; });

    /// <summary>𝒥 and ∇_θ 𝒥 by the second-order adjoint, with J, ∇_θ J and p(0) from the same sweeps.</summary>
    public static Fin<AugmentedGradient> AugmentedGradient(IBlock model, Tensor x0, ILoss loss, AugmentedLoss augmented)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.Forward(x0).Bind(forward =>
        {
            using var _ = forward;
            var xT = forward.Final;
            return forward.Reverse(loss.Gradient(xT), withControls: false).Bind(reverse =>
            {
                var p0 = reverse.Lambda0;
                return forward.Tangent(augmented.Norm.DualNormGradient(p0)).Bind(tangent =>
                {
                    using var __ = tangent;
                    var sT = tangent.Final;
                    return tangent.Reverse(loss.Gradient(xT), loss.HessianVectorProduct(xT, sT)).Map(second =>
                        Results.Augmented(x0.shape[0], loss, augmented, xT, p0, second.Controls, second.SecondOrderControls,
                            forward.Statistics + reverse.Statistics + tangent.Statistics + second.Statistics).Out());
                });
            });
        });
    }
}
