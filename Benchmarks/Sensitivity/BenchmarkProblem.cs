using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// The benchmark network: the nODE field g = W_k tanh(x) + b_k with d = 8 on N layers of [0, 1], a batch of
/// 256 inputs, RK4 with one step per layer (a ResNet of depth N with four stages per block), float32, and the
/// cross-entropy of all 8 coordinates of x(T) against labels in [0, 8).
/// </summary>
internal sealed class BenchmarkProblem
{
    public const int Dim = 8;
    public const int Batch = 256;
    public const double FinalTime = 1.0;

    public int Layers { get; }
    public Tensor Weights { get; }
    public Tensor Biases { get; }
    public Tensor X0 { get; }
    public Tensor Labels { get; }
    public ButcherTableau Tableau => Tableaux.Rk4;
    public SensitivityProblem<Tensor> Problem { get; }

    private BenchmarkProblem(int layers)
    {
        Layers = layers;
        using var generator = new Generator(20240601);
        Weights = randn([layers, Dim, Dim], generator: generator).mul_(1.5 / Math.Sqrt(Dim));
        Biases = randn([layers, Dim], generator: generator).mul_(0.5);
        X0 = randn([Batch, Dim], generator: generator);
        Labels = randint(0, Dim, [Batch], dtype: int64, generator: generator);
        var field = NeuralOdeField.Create(Weights, Biases, FinalTime).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        Problem = new SensitivityProblem<Tensor>(field, X0, CrossEntropyLoss.Create(Labels), SolverCatalog.Fixed(Tableau, 1));
    }

    /// <summary>The problem with N layers (float32; created outside any dispose scope, so it lives as long as the process).</summary>
    public static BenchmarkProblem Create(int layers) => new(layers);

    /// <summary>Bytes of one gradient with respect to (W, b): the size of a result, which no method can avoid.</summary>
    public long ControlBytes => (Weights.numel() + Biases.numel()) * sizeof(float);
}
