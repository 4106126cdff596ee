using RobustNode.Core.Engines;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Attacks.Support;

/// <summary>
/// Standard (non-robust) networks trained once per test class: on the moons (two classes) and on four Gaussian blobs in
/// the plane (four classes, so that the targeted DLR loss is defined).
/// </summary>
public sealed class StandardNetworks
{
    public StandardNetworks()
    {
        Initialise();
        Moons = RobustNode.Tests.Training.TrainingHarness.Moons(300, 3);
        MoonsModel = Train(Moons, 2, seed: 3);
        Blobs = FourBlobs(400, seed: 5);
        BlobsModel = Train(Blobs, 4, seed: 4);
    }

    public DatasetSplit Moons { get; }
    public Network<Tensor> MoonsModel { get; }
    public DatasetSplit Blobs { get; }
    public Network<Tensor> BlobsModel { get; }

    /// <summary>The networks' architecture.</summary>
    private static PointCloudModel Architecture(int classes) => new(Dim: 4, Layers: 8, Classes: classes);

    /// <summary>A trained network of this fixture on another engine: the same architecture with the same parameters.</summary>
    public static IBlock<T> On<T>(IEngine<T> engine, Network<Tensor> trained)
    {
        int classes = (int)trained.Parameters[^1].shape[0];
        return Ok(Architecture(classes).Build(engine, seed: 0)).WithParameters(trained.Parameters.Select(p => engine.FromTensor(p)).ToArray());
    }

    private static Network<Tensor> Train(DatasetSplit data, int classes, long seed)
    {
        var model = SmallNetwork(seed, Architecture(classes));
        var options = new TrainingOptions(new StandardObjective(), new Adam(0.05), Epochs: 15, BatchSize: 32, Seed: seed);
        var state = Ok(Trainer.Start(model, options));
        Ok(Trainer.Run(state, data.Train, options));
        return (Network<Tensor>)state.Model;
    }

    /// <summary>Four Gaussian blobs (σ = 0.45) centred on (±1, ±1), split 70/30.</summary>
    public static DatasetSplit FourBlobs(int count, long seed)
    {
        var random = new RobustNode.Core.Sampling.SplitMix64(seed);
        var x = new double[count, 2];
        var labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % 4;
            x[i, 0] = (c % 2 == 0 ? -1 : 1) + 0.45 * random.NextGaussian();
            x[i, 1] = (c / 2 == 0 ? -1 : 1) + 0.45 * random.NextGaussian();
            labels[i] = c;
        }
        return Ok(Dataset.FromArrays(x, labels, 4, "blobs").Bind(d => d.Split(0.3, seed)));
    }
}
