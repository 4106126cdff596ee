using LanguageExt;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Networks;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// An adversarial attack as a value: given a model, clean inputs x₀ [B, n] and the loss with the labels bound in,
/// it returns perturbed inputs x̃ with ‖x̃ᵢ − x₀ᵢ‖_q ≤ ε for every sample (and x̃ inside the input box, if any),
/// chosen to increase the loss. The ascent direction comes from the input sensitivity p(0)
/// (<see cref="LossDerivatives.InputSensitivity{T}"/>): row i is ∇_{x₀ᵢ}ℓᵢ. Attacks run on the model's engine; their
/// random numbers come from a managed generator, so every engine sees the same ones.
/// </summary>
public interface IAttack
{
    /// <summary>Name used in reports, e.g. "fgsm" or "pgd".</summary>
    string Name { get; }

    /// <summary>The radius ε of the attack ball.</summary>
    double Epsilon { get; }

    /// <summary>The attack norm q (‖x̃ − x₀‖_q ≤ ε).</summary>
    AttackNorm Norm { get; }

    /// <summary>The valid input box the adversarial inputs are clipped to, or null for none.</summary>
    InputBox? Box { get; }

    /// <summary>The same attack with another radius (an iterative attack keeps its step size relative to the radius).</summary>
    IAttack WithEpsilon(double epsilon);

    /// <summary>The same attack drawing its random numbers from another seed (deterministic attacks return themselves).</summary>
    IAttack WithSeed(long seed);

    /// <summary>
    /// The adversarial inputs x̃ [B, n], the same shape and dtype as x₀. Fails with an error value when the attack's
    /// settings are invalid, x₀ does not fit the model, the loss's batch does not match, or x₀ lies outside the box.
    /// </summary>
    Fin<T> Perturb<T>(IBlock<T> model, T x0, ILoss<T> loss);
}
