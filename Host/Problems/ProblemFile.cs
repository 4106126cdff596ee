using RobustNode.Core.Norms;
using RobustNode.Host.Configuration;

namespace RobustNode.Host.Problems;

/// <summary>
/// A problem file (DESIGN §4) validated into values: the field and its controls, the layer grid, the solver,
/// the initial states and, for the sensitivity verb, the loss and the robustness settings.
/// Arrays are rectangular and their shapes agree with <see cref="Dim"/>, <see cref="Steps"/> and the batch size.
/// </summary>
/// <param name="Field">The vector field with its controls.</param>
/// <param name="Dim">State dimension d.</param>
/// <param name="Steps">Number of layers N (piecewise-constant controls; every layer boundary is a step boundary).</param>
/// <param name="FinalTime">Final time T.</param>
/// <param name="Solver">The solver by name, with constant steps per layer or adaptive tolerances.</param>
/// <param name="X0">Initial states x0 [B, d].</param>
/// <param name="Loss">The terminal loss with its labels or targets, when given.</param>
/// <param name="Epsilon">Attack radius ε ≥ 0 of the augmented loss (0 when absent).</param>
/// <param name="Q">Attack norm q ∈ {∞, 2, 1} (∞ when absent); the penalty uses the dual norm.</param>
/// <param name="Mode">Discrete (exact gradient of the discretized network) or continuous adjoint.</param>
/// <param name="Adjoint">How the continuous adjoint keeps the forward states.</param>
/// <remarks>The engine (<see cref="Engine"/>) is resolved from <c>"engine"</c> or the <c>Engine:Name</c> setting.</remarks>
internal sealed record ProblemFile(
    ProblemField Field,
    int Dim,
    int Steps,
    double FinalTime,
    SolverChoice Solver,
    double[,] X0,
    ProblemLoss? Loss,
    double Epsilon,
    AttackNorm Q,
    AdjointMode Mode,
    AdjointStorage Adjoint)
{
    /// <summary>The engine that computes the problem, resolved (<c>"engine"</c> or the <c>Engine:Name</c> setting; never auto).</summary>
    public string Engine { get; init; } = "torch";

    /// <summary>A robust training objective to evaluate beside the loss (<c>"objective"</c>), or null.</summary>
    public ProblemObjective? Objective { get; init; }

    /// <summary>Batch size B (rows of x0).</summary>
    public int Batch => X0.GetLength(0);
}

/// <summary>The vector field of a problem file.</summary>
internal abstract record ProblemField
{
    private ProblemField() { }

    /// <summary>Its name in the file.</summary>
    public abstract string Name { get; }

    /// <summary>"linear": x' = A x with A [d, d].</summary>
    public sealed record Linear(double[,] A) : ProblemField
    {
        /// <inheritdoc/>
        public override string Name => "linear";
    }

    /// <summary>"node-tanh": x' = W_k tanh(x) + b_k with W [N, d, d] and b [N, d].</summary>
    public sealed record NeuralOde(double[,,] Weights, double[,] Biases) : ProblemField
    {
        /// <inheritdoc/>
        public override string Name => "node-tanh";
    }

    /// <summary>
    /// "gradient-flow": x' = s_k A_kᵀσ(A_k x + b_k) with A [N, m, d], b [N, m], σ monotone, s_k = −1 (contractive) or +1
    /// (expansive). Unless <paramref name="Unconstrained"/>, every contractive layer keeps h·sup σ'·‖A_k‖₂² ≤ 2 (its Euler
    /// step is non-expansive).
    /// </summary>
    public sealed record GradientFlow(double[,,] Weights, double[,] Biases, Core.Fields.Activation Activation,
        IReadOnlyList<Core.Fields.FlowDirection> Directions, bool Unconstrained) : ProblemField
    {
        /// <inheritdoc/>
        public override string Name => "gradient-flow";
    }
}

/// <summary>The terminal loss of a problem file.</summary>
internal abstract record ProblemLoss
{
    private ProblemLoss() { }

    /// <summary>"cross-entropy" with logits x(T) and class labels [B] in [0, d).</summary>
    public sealed record CrossEntropy(int[] Labels) : ProblemLoss;

    /// <summary>"square": squared error against targets [B, d].</summary>
    public sealed record Square(double[,] Targets) : ProblemLoss;
}

/// <summary>"mode": which gradient is computed.</summary>
internal enum AdjointMode
{
    /// <summary>The exact gradient of the discretized network.</summary>
    Discrete,
    /// <summary>The continuous adjoint, converging at the solver's order.</summary>
    Continuous,
}

/// <summary>"adjoint": how the forward states are kept for the backward sweeps.</summary>
internal enum AdjointStorage
{
    /// <summary>Keep every state.</summary>
    Stored,
    /// <summary>Keep checkpoints and recompute between them.</summary>
    Checkpoint,
    /// <summary>Keep nothing: integrate x backwards alongside the adjoints.</summary>
    Backsolve,
}
