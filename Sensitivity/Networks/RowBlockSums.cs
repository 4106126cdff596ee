using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Adjoints;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// A loss's sweeps on row blocks of the batch, each block on a thread of the engine's own (<see cref="IRowBlocks"/>), when
/// the model's rows are independent (<see cref="IBlock{T}.RowsIndependent"/>) and the engine splits the batch. Every
/// sweep of a block — forward, reverse, tangent, second-order reverse, and the loss's derivatives between them — runs on
/// its thread in one hand-off, where <see cref="RowBlockSweep"/> hands each sweep off apart and forms the loss's
/// derivatives on the calling thread between them; the blocks' per-sample values are joined in row order and their
/// control sums added in block order, as there, so the result equals the unsplit one to rounding and is deterministic.
/// </summary>
internal static class RowBlockSums
{
    /// <summary>
    /// <paramref name="sums"/> on every row block of <paramref name="x0"/> with the loss of its rows, joined by
    /// <paramref name="join"/> on the calling thread (in its scope, block 0 on it; the other blocks' own values are freed
    /// afterwards, on their threads: <see cref="IRowBlocks.JoinBlocks"/>); null when the batch is not split, and the
    /// caller computes the sums whole.
    /// </summary>
    public static Fin<TSums>? Run<T, TSums>(IBlock<T> model, T x0, ILoss<T> loss, Func<T, ILoss<T>, Fin<TSums>> sums, Func<TSums[], TSums> join)
    {
        var engine = model.Engine;
        if (engine is not IRowBlocks split || !model.RowsIndependent) return null;
        long batch = engine.BatchSize(x0);
        int blocks = split.RowBlocks(batch);
        if (blocks < 2) return null;
        var inputs = new T[blocks];
        var losses = new ILoss<T>[blocks];
        for (int b = 0; b < blocks; b++)
        {
            var (start, count) = Range(batch, blocks, b);
            inputs[b] = engine.Rows(x0, start, count);
            var rows = new long[count];
            for (long i = 0; i < rows.Length; i++) rows[i] = start + i;
            losses[b] = loss.Select(rows);
        }
        return split.JoinBlocks(blocks, b => sums(inputs[b], losses[b]), parts =>
        {
            var values = new TSums[blocks];
            for (int b = 0; b < blocks; b++)
            {
                if (parts[b].IsFail) return parts[b];
                values[b] = (TSums)parts[b];
            }
            return join(values);
        });
    }

    /// <summary>The rows of block b of a batch split into <paramref name="blocks"/>: from ⌊B b / blocks⌋ up to ⌊B (b + 1) / blocks⌋.</summary>
    public static (long Start, long Count) Range(long batch, int blocks, int b)
    {
        long start = batch * b / blocks;
        return (start, batch * (b + 1) / blocks - start);
    }

    /// <summary>Σ over the blocks of each control's sum, in block order (new values in the calling thread's scope).</summary>
    public static IReadOnlyList<T> Sum<T>(IEngine<T> engine, IReadOnlyList<IReadOnlyList<T>> blocks)
    {
        var sums = new T[blocks[0].Count];
        for (int j = 0; j < sums.Length; j++)
        {
            sums[j] = engine.Clone(blocks[0][j]);
            for (int b = 1; b < blocks.Count; b++) engine.AddInPlace(sums[j], blocks[b][j]);
        }
        return sums;
    }

    /// <summary>The blocks' per-sample values joined in row order.</summary>
    public static T Join<T>(IEngine<T> engine, IEnumerable<T> blocks) => engine.Concat(blocks.ToArray());
}
