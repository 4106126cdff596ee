using RobustNode.Benchmarks.Sensitivity;
using RobustNode.Core.Losses;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Training.Models;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Images;

/// <summary>
/// The seed talk's MNIST network at depth N: three convolutional layers (tanh, strides 2, 2, 1), an ODE block of N
/// Euler layers of width 64 (or d) with the field W_k ∗ tanh(x) + b_k on 7×7 feature maps, average pooling and a linear
/// layer to 10 classes (float32), one training batch of 64 (or B) images in [0, 1] with labels. The weights come from a
/// fixed seed, so every method — and every child process of the memory measurement — sees the same network.
/// </summary>
internal sealed class ImageBenchmarkProblem
{
    public const int Batch = 64;
    public const int Width = 64;
    private const ulong Seed = 20240601;

    public BenchmarkSize Size { get; }
    public int Layers => Size.Layers;
    public ConvolutionalOdeModel Model { get; }
    public Tensor Images { get; }
    public Tensor Labels { get; }
    public CrossEntropyLoss<Tensor> Loss { get; }

    private ImageBenchmarkProblem(BenchmarkSize size)
    {
        Size = size;
        Model = new ConvolutionalOdeModel(Width: size.Dim, Layers: size.Layers);
        using var generator = new Generator(Seed);
        Images = rand([size.Batch, 1, Model.ImageSize, Model.ImageSize], generator: generator);
        Labels = randint(0, Model.Classes, [size.Batch], dtype: int64, generator: generator);
        Loss = CrossEntropyLoss.Create(Labels);
    }

    /// <summary>The network at a size: N ODE layers, a batch of B images, width d (the headline: N = 6, B = 64, d = 64).</summary>
    public static ImageBenchmarkProblem Create(BenchmarkSize size) => new(size);

    /// <summary>The network with its ODE block differentiated by the given adjoint (the same weights for every adjoint).</summary>
    public Network<Tensor> Network(IAdjointMethod adjoint) =>
        Model.Build(SolverCatalog.Fixed(Tableaux.Euler), adjoint, Seed).Match(n => n, e => throw new InvalidOperationException(e.Message));
}
