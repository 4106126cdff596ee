using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>What autograd says about a discretized network: J = mean ℓᵢ, ∇_u J, p(0) (row i = ∇_{x₀ᵢ}ℓᵢ), and
/// 𝒥 = J + ε mean ‖pᵢ(0)‖_{q*} with ∇_u 𝒥 by double backpropagation.</summary>
public sealed record ReferenceDerivatives(double Loss, Tensor[] Gradients, Tensor InputSensitivity, double AugmentedLoss, Tensor[] AugmentedGradients);

/// <summary>
/// Reverse mode twice through the recorded graph: p(0) = ∇_{x₀} Σᵢ ℓᵢ with <c>create_graph</c> and
/// <c>retain_graph</c>, then 𝒥 = mean ℓ + ε mean ‖p(0)‖_{q*}, then ∇_u 𝒥.
/// </summary>
public static class DoubleBackprop
{
    /// <param name="finalState">x(T) as a function of the controls and x₀ (an autograd-tracked computation).</param>
    /// <param name="perSample">ℓᵢ(x(T)), shape [B].</param>
    /// <param name="controls">Control values (copied into fresh leaves).</param>
    /// <param name="x0">Inputs [B, d].</param>
    /// <param name="epsilon">Penalty weight ε.</param>
    /// <param name="q">Attack norm q ∈ {∞, 2, 1}; the penalty is the dual norm.</param>
    public static ReferenceDerivatives Compute(Func<Tensor[], Tensor, Tensor> finalState, Func<Tensor, Tensor> perSample,
        Tensor[] controls, Tensor x0, double epsilon, double q)
    {
        using var enable = enable_grad();
        var u = controls.Select(c => c.detach().clone().requires_grad_(true)).ToArray();
        var x = x0.detach().clone().requires_grad_(true);
        var losses = perSample(finalState(u, x));
        var loss = losses.mean();
        var first = autograd.grad([loss], u, retain_graph: true, allow_unused: true);
        var p0 = autograd.grad([losses.sum()], [x], create_graph: true, retain_graph: true)[0];
        var augmented = loss + epsilon * DualNorm(p0, q).mean();
        var second = autograd.grad([augmented], u, retain_graph: true, allow_unused: true);
        return new ReferenceDerivatives(loss.item<double>(), Dense(first, u), p0.detach(), augmented.item<double>(), Dense(second, u));
    }

    /// <summary>‖pᵢ‖_{q*} per row: q = ∞ → 1-norm, q = 2 → 2-norm, q = 1 → max-norm.</summary>
    public static Tensor DualNorm(Tensor p, double q) =>
        double.IsPositiveInfinity(q) ? p.abs().sum(1)
        : q == 2 ? p.square().sum(1).sqrt()
        : p.abs().amax([1]);

    private static Tensor[] Dense(IList<Tensor> grads, Tensor[] like) =>
        grads.Select((g, i) => g is null || g.IsInvalid ? zeros_like(like[i]) : g.detach()).ToArray();
}
