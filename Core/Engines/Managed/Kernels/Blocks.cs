namespace RobustNode.Core.Engines.Managed.Kernels;

/// <summary>
/// Splits the items of a kernel (rows or elements) into fixed blocks and runs the blocks, on several threads when the
/// engine has them and the work is worth a thread hand-off. The blocks depend only on the item count and the block
/// size, never on the number of threads, and a kernel computes each block the same way wherever it runs: so results
/// are bit-identical for any thread count.
/// </summary>
/// <remarks>
/// With one thread nothing is allocated. With more, <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>
/// allocates its task objects (a few hundred bytes per kernel call), which is why small kernels stay on the calling
/// thread (<see cref="ParallelWork"/>).
/// </remarks>
internal static class Blocks
{
    /// <summary>The least work (multiply-adds or elements, as the kernel counts it) that is split across threads: below it a thread hand-off (≈ 5–20 µs) costs more than it saves.</summary>
    public const long ParallelWork = 1 << 17;

    /// <summary>Set on threads that already compute one row block of a batch (<see cref="IRowBlocks"/>): their kernels stay on them.</summary>
    [ThreadStatic] public static bool SingleThreaded;

    /// <summary>The number of blocks of <paramref name="blockSize"/> items that cover <paramref name="count"/> items.</summary>
    public static int Count(int count, int blockSize) => count == 0 ? 0 : (count + blockSize - 1) / blockSize;

    /// <summary>
    /// Runs <paramref name="body"/>(state, start, end) for every block [start, end) of <paramref name="blockSize"/>
    /// items of [0, <paramref name="count"/>), in parallel on up to <paramref name="threads"/> threads when there are
    /// at least two blocks and <paramref name="work"/> reaches <see cref="ParallelWork"/>.
    /// </summary>
    public static void Run<TState>(int threads, int count, int blockSize, long work, TState state, Action<TState, int, int> body)
    {
        int blocks = Count(count, blockSize);
        if (threads <= 1 || blocks < 2 || work < ParallelWork || SingleThreaded)
        {
            for (int b = 0; b < blocks; b++)
                body(state, b * blockSize, Math.Min(count, (b + 1) * blockSize));
            return;
        }
        RunParallel(threads, count, blockSize, blocks, state, body);
    }

    // Separate so that the closure, which captures the parameters, is allocated only when threads are used.
    private static void RunParallel<TState>(int threads, int count, int blockSize, int blocks, TState state, Action<TState, int, int> body)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.For(0, blocks, options, b => body(state, b * blockSize, Math.Min(count, (b + 1) * blockSize)));
    }

    /// <summary>Rows per block for rows of <paramref name="rowLength"/> elements: about 8192 elements, a multiple of 4 rows (the dense kernels' row blocking).</summary>
    public static int RowBlock(int rowLength) => Math.Max(4, 8192 / Math.Max(rowLength, 1) / 4 * 4);

    /// <summary>Elements per block of an elementwise kernel.</summary>
    public const int ElementBlock = 8192;
}
