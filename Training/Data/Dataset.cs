using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;
using RobustNode.Core.Sampling;
using static TorchSharp.torch;

namespace RobustNode.Training.Data;

/// <summary>
/// A labelled classification data set: inputs X [n, …] (floating point; [n, 2] float64 for the point clouds), labels
/// [n] (int64 in 0..classes−1), the number of classes and a name that records where the data came from
/// (e.g. "moons(n=1000, noise=0.1, seed=1)/train(0.8, seed=2)"). Built only through <see cref="Create"/>, which
/// checks shapes, dtypes and label range before anything reaches libtorch.
/// </summary>
public sealed record Dataset
{
    /// <summary>Inputs [n, …] (one sample per row of the first dimension).</summary>
    public Tensor X { get; }
    /// <summary>Labels [n], int64.</summary>
    public Tensor Labels { get; }
    /// <summary>Number of classes m (labels lie in 0..m−1).</summary>
    public int Classes { get; }
    /// <summary>Name and provenance, used in reports and configuration fingerprints.</summary>
    public string Name { get; }

    /// <summary>Number of samples n.</summary>
    public int Count => (int)X.shape[0];
    /// <summary>The shape of one sample, e.g. [2] for a point cloud.</summary>
    public long[] SampleShape => X.shape[1..];

    /// <summary>Number of input features per sample (the product of the sample shape).</summary>
    public int Features => (int)SampleShape.Aggregate(1L, (a, b) => a * b);

    private Dataset(Tensor x, Tensor labels, int classes, string name) => (X, Labels, Classes, Name) = (x, labels, classes, name);

    /// <summary>A data set from tensors; invalid inputs give one error listing every problem.</summary>
    public static Fin<Dataset> Create(Tensor x, Tensor labels, int classes, string name)
    {
        var errors = new List<Error>();
        if (x.dim() < 2) errors.Add(TrainingErrors.InvalidDataset(name, $"inputs must be [n, …] with at least one feature dimension, got [{string.Join(", ", x.shape)}]"));
        else if (!x.is_floating_point()) errors.Add(TrainingErrors.InvalidDataset(name, $"inputs must be floating point, got {x.dtype}"));
        if (labels.dim() != 1) errors.Add(TrainingErrors.InvalidDataset(name, $"labels must be [n], got [{string.Join(", ", labels.shape)}]"));
        else if (labels.dtype != ScalarType.Int64) errors.Add(TrainingErrors.InvalidDataset(name, $"labels must be int64, got {labels.dtype}"));
        if (x.dim() >= 2 && labels.dim() == 1 && x.shape[0] != labels.shape[0])
            errors.Add(TrainingErrors.InvalidDataset(name, $"{x.shape[0]} inputs but {labels.shape[0]} labels"));
        if (x.dim() >= 2 && x.shape[0] == 0) errors.Add(TrainingErrors.InvalidDataset(name, "it is empty"));
        if (classes < 2) errors.Add(TrainingErrors.InvalidDataset(name, $"a classification needs at least 2 classes, got {classes}"));
        if (errors.Count == 0)
        {
            using var scope = NewDisposeScope();
            long min = labels.min().item<long>(), max = labels.max().item<long>();
            if (min < 0 || max >= classes) errors.Add(TrainingErrors.InvalidDataset(name, $"labels must lie in 0..{classes - 1}, found {min}..{max}"));
            if (!x.isfinite().all().item<bool>()) errors.Add(TrainingErrors.InvalidDataset(name, "inputs contain NaN or infinite values"));
        }
        return TrainingErrors.All(errors).Map(_ => new Dataset(x, labels, classes, name));
    }

    /// <summary>A data set from managed arrays: inputs [n, features] (float64) and labels.</summary>
    public static Fin<Dataset> FromArrays(double[,] x, long[] labels, int classes, string name)
    {
        var flat = new double[x.Length];
        Buffer.BlockCopy(x, 0, flat, 0, x.Length * sizeof(double));
        return Create(tensor(flat, [x.GetLength(0), x.GetLength(1)], ScalarType.Float64), tensor(labels, ScalarType.Int64), classes, name);
    }

    /// <summary>The samples at the given positions (in that order).</summary>
    public Dataset Subset(IReadOnlyList<long> indices, string name)
    {
        using var scope = NewDisposeScope();
        var index = tensor(indices.ToArray(), ScalarType.Int64);
        return new Dataset(X.index_select(0, index).MoveToOuterDisposeScope(), Labels.index_select(0, index).MoveToOuterDisposeScope(), Classes, name);
    }

    /// <summary>The same data on a TorchSharp device (the data set itself when it is there already).</summary>
    public Dataset On(Device device) =>
        X.device_type == device.type && X.device_index == device.index && Labels.device_type == device.type && Labels.device_index == device.index
            ? this
            : new Dataset(X.to(device).DetachFromDisposeScope(), Labels.to(device).DetachFromDisposeScope(), Classes, Name);

    /// <summary>The first <paramref name="count"/> samples; the data set itself when it has no more than that.</summary>
    public Dataset First(int count) =>
        count >= Count ? this : Subset(Enumerable.Range(0, Math.Max(count, 0)).Select(i => (long)i).ToArray(), Name);

    /// <summary>
    /// A random split into training and test parts: a permutation drawn from the seed, its first ⌈n·testFraction⌉
    /// samples form the test set. The same seed gives the same split.
    /// </summary>
    public Fin<DatasetSplit> Split(double testFraction, long seed)
    {
        if (!(testFraction > 0 && testFraction < 1))
            return FinFail<DatasetSplit>(TrainingErrors.InvalidConfiguration("testFraction", $"must lie strictly between 0 and 1, got {testFraction}"));
        int test = (int)Math.Ceiling(Count * testFraction);
        if (test >= Count)
            return FinFail<DatasetSplit>(TrainingErrors.InvalidConfiguration("testFraction", $"{testFraction} of {Count} samples leaves no training data"));
        var permutation = new SplitMix64(Seeds.Derive(seed, Seeds.Split)).Permutation(Count);
        string tag = FormattableString.Invariant($"{1 - testFraction:G6}, seed={seed}");
        return new DatasetSplit(
            Subset(permutation[test..], $"{Name}/train({tag})"),
            Subset(permutation[..test], FormattableString.Invariant($"{Name}/test({testFraction:G6}, seed={seed})")));
    }

    /// <summary>
    /// Mini-batches of at most <paramref name="batchSize"/> samples covering the data set once: in a random order drawn
    /// from <paramref name="shuffleSeed"/> (the same seed gives the same batches), or in stored order when it is null.
    /// Batch tensors are created as the sequence is enumerated, in the caller's dispose scope.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When the batch size is below 1 (validate configurations first).</exception>
    public IEnumerable<MiniBatch> Batches(int batchSize, long? shuffleSeed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Enumerate(batchSize, shuffleSeed);
    }

    /// <summary>Number of mini-batches of the given size.</summary>
    public int BatchCount(int batchSize) => (Count + batchSize - 1) / batchSize;

    /// <summary>The order in which an epoch visits the samples: a permutation drawn from the seed, or stored order when it is null.</summary>
    public long[] Order(long? shuffleSeed) =>
        shuffleSeed is { } seed ? new SplitMix64(seed).Permutation(Count) : Enumerable.Range(0, Count).Select(i => (long)i).ToArray();

    private IEnumerable<MiniBatch> Enumerate(int batchSize, long? shuffleSeed)
    {
        long[] order = Order(shuffleSeed);
        for (int start = 0, b = 0; start < Count; start += batchSize, b++)
            yield return Take(order, start, Math.Min(batchSize, Count - start), b);
    }

    private MiniBatch Take(long[] order, int start, int size, int b)
    {
        using var scope = NewDisposeScope();
        var index = tensor(order.AsSpan(start, size).ToArray(), ScalarType.Int64);
        return new MiniBatch(b, X.index_select(0, index).MoveToOuterDisposeScope(), Labels.index_select(0, index).MoveToOuterDisposeScope());
    }
}

/// <summary>A training part and a test part of one data set.</summary>
public sealed record DatasetSplit(Dataset Train, Dataset Test);

/// <summary>One mini-batch: its position in the epoch, inputs [b, …] and labels [b].</summary>
public sealed record MiniBatch(int Index, Tensor X, Tensor Labels);
