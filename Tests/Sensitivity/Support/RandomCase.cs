using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>
/// A random case for a property, fully determined by one seed: sizes d ∈ [2, 5], B ∈ [1, 6], N ∈ [1, 4],
/// a built-in tableau with one or two fixed steps per layer, a loss, the problem's tensors, and a random
/// direction (δx₀, η_W, η_b) for directional derivatives.
/// </summary>
public sealed record RandomCase(NodeProblem Node, ButcherTableau Tableau, int StepsPerLayer, Tensor Dx0, Tensor EtaW, Tensor EtaB)
{
    public static RandomCase Draw(int seed)
    {
        var rng = new Random(seed);
        int d = rng.Next(2, 6), batch = rng.Next(1, 7), layers = rng.Next(1, 5);
        var tableau = Tableaux.All[rng.Next(Tableaux.All.Count)];
        var loss = rng.Next(2) == 0 ? LossKind.CrossEntropy : LossKind.Square;
        var node = NodeProblem.Draw(rng.NextInt64(), d, batch, layers, loss, finalTime: 0.5 + rng.NextDouble());
        using var g = new Generator((ulong)rng.NextInt64());
        return new RandomCase(node, tableau, rng.Next(1, 3), Gaussian.Like(g, node.X0), Gaussian.Like(g, node.Weights), Gaussian.Like(g, node.Biases));
    }

    public OdeSolver Solver => SolverCatalog.Fixed(Tableau, StepsPerLayer);

    public SensitivityProblem<Tensor> Problem() => Node.Problem(Solver);

    /// <summary>The problem with inputs x₀ + α δx₀ and controls u + β η.</summary>
    public SensitivityProblem<Tensor> Moved(double alpha, double beta) =>
        Node.WithControls(Node.Weights + beta * EtaW, Node.Biases + beta * EtaB).Problem(Solver) with { X0 = Node.X0 + alpha * Dx0 };

    /// <summary>⟨∇_u J, η⟩ for control gradients shaped like (W, b).</summary>
    public double AlongControls(IReadOnlyList<Tensor> gradients) =>
        (gradients[0] * EtaW).sum().item<double>() + (gradients[1] * EtaB).sum().item<double>();

    /// <summary>Σ |∂J/∂uⱼ ηⱼ|: the size of the terms whose sum is ⟨∇_u J, η⟩ (the scale for comparing it).</summary>
    public double AlongControlsScale(IReadOnlyList<Tensor> gradients) =>
        (gradients[0] * EtaW).abs().sum().item<double>() + (gradients[1] * EtaB).abs().sum().item<double>();

    public override string ToString() =>
        $"{Tableau.Name}×{StepsPerLayer}, {Node.Loss}, d={Node.Dim}, B={Node.Batch}, N={Node.Layers}, T={Node.FinalTime:F2}";
}
