using LanguageExt;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;

namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// How gradients of a discretized neural ODE are computed: a strategy passed in as a value
/// (<see cref="AdjointMode"/>). The solver never knows which one is used.
/// </summary>
public interface IAdjointMethod
{
    /// <summary>Name used in files and reports.</summary>
    string Name { get; }

    /// <summary>J = mean ℓᵢ, ∇_u J and the per-sample input sensitivity p(0) (Lemma 1 of the seed talk).</summary>
    Fin<LossGradient> Gradient(SensitivityProblem problem);

    /// <summary>𝒥 = J + ε mean ‖p(0)‖_{q*} and ∇_u 𝒥 by the second-order adjoint (Theorem 2; DESIGN §1, four sweeps).</summary>
    Fin<AugmentedGradient> AugmentedGradient(SensitivityProblem problem, AugmentedLoss augmented);
}
