namespace RobustNode.Sensitivity.Lipschitz;

/// <summary>
/// A block whose linear operator keeps a bound c of its ℓ2 operator norm (a spectrally constrained convolution or
/// read-out): it measures the norm and projects its weights back onto the ball ‖·‖₂ ≤ c in place — after every
/// optimizer step of a training run, beside the gradient-flow layers' step rules (<see cref="StepConstraints"/>).
/// </summary>
public interface INormConstrainedBlock
{
    /// <summary>The bound c the block keeps, or null when it keeps none.</summary>
    double? NormBound { get; }

    /// <summary>The operator norm ‖W‖₂ (exact, or a proven upper bound) that the bound constrains.</summary>
    double OperatorNorm();

    /// <summary>Projects the weights onto ‖W‖₂ ≤ c, in place (nothing when the block keeps no bound or already keeps it).</summary>
    void Constrain();
}
