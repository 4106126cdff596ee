using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// The benchmark network: the nODE field g = W_k tanh(x) + b_k with state dimension d on N layers of [0, 1], a batch
/// of B inputs, RK4 with one step per layer (a ResNet of depth N with four stages per block), float32 (or float64), and the
/// cross-entropy of all d coordinates of x(T) against labels in [0, d). The headline size is d = 8, B = 256.
/// W_k has entries N(0, 1.5²/d), b_k entries N(0, 0.25), x₀ entries N(0, 1), all from a fixed seed.
/// </summary>
internal sealed class BenchmarkProblem
{
    public const int Dim = 8;
    public const int Batch = 256;
    public const double FinalTime = 1.0;
    public const ulong Seed = 20240601;

    public BenchmarkSize Size { get; }
    public int Layers => Size.Layers;
    public Tensor Weights { get; }
    public Tensor Biases { get; }
    public Tensor X0 { get; }
    public Tensor Labels { get; }
    public ButcherTableau Tableau => Tableaux.Rk4;
    public SensitivityProblem<Tensor> Problem { get; }

    private BenchmarkProblem(BenchmarkSize size)
    {
        Size = size;
        int d = size.Dim;
        using var generator = new Generator(Seed);
        Weights = randn([size.Layers, d, d], dtype: size.DType, generator: generator).mul_(1.5 / Math.Sqrt(d));
        Biases = randn([size.Layers, d], dtype: size.DType, generator: generator).mul_(0.5);
        X0 = randn([size.Batch, d], dtype: size.DType, generator: generator);
        Labels = randint(0, d, [size.Batch], dtype: int64, generator: generator);
        var field = NeuralOdeField.Create(Weights, Biases, FinalTime).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        Problem = new SensitivityProblem<Tensor>(field, X0, CrossEntropyLoss.Create(Labels), SolverCatalog.Fixed(Tableau, 1));
    }

    /// <summary>The problem at a size, in its element type (created outside any dispose scope, so it lives as long as the process).</summary>
    public static BenchmarkProblem Create(BenchmarkSize size) => new(size);

    /// <summary>The same problem on an engine: the same numbers, moved in by <see cref="IEngine{T}.FromTensor"/> (outside any scope).</summary>
    public SensitivityProblem<T> On<T>(IEngine<T> engine)
    {
        var field = NeuralOdeField.Create(engine, engine.FromTensor(Weights), engine.FromTensor(Biases), FinalTime)
            .Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        return SensitivityProblem.Create(field, engine.FromTensor(X0), new CrossEntropyLoss<T>(engine, engine.FromTensor(Labels)), Problem.Solver);
    }

    /// <summary>Bytes of one gradient with respect to (W, b): the size of a result, which no method can avoid.</summary>
    public long ControlBytes => (Weights.numel() + Biases.numel()) * Weights.element_size();
}
