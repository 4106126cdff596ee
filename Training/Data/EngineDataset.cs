using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Training.Data;

/// <summary>
/// A data set in an engine's own form: its inputs and labels converted once (<see cref="IEngine{T}.FromTensor"/>: the
/// tensors themselves on TorchSharp, a copy on other engines), from which mini-batches and chunks are gathered without
/// going back to TorchSharp. The values belong to the scope that is current when it is made.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class EngineDataset<T>
{
    private EngineDataset(IEngine<T> engine, Dataset source, T x, T labels) => (Engine, Source, X, Labels) = (engine, source, x, labels);

    /// <summary>The data set in the engine's form.</summary>
    public static EngineDataset<T> From(IEngine<T> engine, Dataset data) => new(engine, data, engine.FromTensor(data.X), engine.FromTensor(data.Labels));

    /// <summary>The engine.</summary>
    public IEngine<T> Engine { get; }

    /// <summary>The data set it was made from.</summary>
    public Dataset Source { get; }

    /// <summary>Inputs [n, …].</summary>
    public T X { get; }

    /// <summary>Labels [n] in the engine's label form.</summary>
    public T Labels { get; }

    /// <summary>Number of samples n.</summary>
    public int Count => Source.Count;

    /// <summary>The samples at the given positions, in that order (copies).</summary>
    public (T X, T Labels) Gather(ReadOnlySpan<long> rows) => (Engine.GatherRows(X, rows), Engine.GatherRows(Labels, rows));

    /// <summary>
    /// The samples at the given positions, in that order, every image moved by its own random offset drawn from
    /// <paramref name="seed"/> (copies). The images move as TorchSharp tensors and enter the engine as one batch.
    /// </summary>
    public (T X, T Labels) Gather(ReadOnlySpan<long> rows, RandomShift shift, long seed)
    {
        T x;
        using (NewDisposeScope())
        {
            var index = tensor(rows.ToArray(), ScalarType.Int64, Source.X.device);
            x = Engine.FromTensor(shift.Apply(Source.X.index_select(0, index), seed));
            // TorchSharp's engine takes the tensor itself, which must outlive this scope; other engines copied it.
            if (x is Tensor own) own.MoveToOuterDisposeScope();
        }
        return (x, Engine.GatherRows(Labels, rows));
    }

    /// <summary>The samples start … start + count − 1 (views).</summary>
    public (T X, T Labels) Rows(long start, long count) => (Engine.Rows(X, start, count), Engine.Rows(Labels, start, count));
}
