namespace RobustNode.Core.Engines;

/// <summary>
/// An engine that computes independent row blocks of a batch on threads of its own. Every sample of a batch goes
/// through a sweep on its own (the rows of the states, slopes and cotangents never mix; only the control cotangents
/// sum over the batch), so an adjoint may split the batch into <see cref="RowBlocks"/> blocks, run each block's sweeps
/// on that block's thread and sum the blocks' control cotangents in block order.
/// </summary>
internal interface IRowBlocks
{
    /// <summary>The number of row blocks a batch of <paramref name="batch"/> samples is split into (1: not split).</summary>
    int RowBlocks(long batch);

    /// <summary>
    /// Threads for the blocks of one computation, held by it until disposed: block b always runs on the same thread,
    /// because an engine's values are kept and released on the thread that made them (other threads only read them).
    /// </summary>
    IRowBlockThreads LeaseThreads(int blocks);

    /// <summary>
    /// One hand-off for a whole computation: part(b) for every block b — block 0 on the calling thread (its values in the
    /// caller's scope), the others on threads of the engine's own, each in a scope of its thread — then
    /// join(parts) on the calling thread while every part is alive; then the other blocks' scopes are closed on their
    /// threads. The first exception of a block is rethrown (join is not called then).
    /// </summary>
    TResult JoinBlocks<TPart, TResult>(int blocks, Func<int, TPart> part, Func<TPart[], TResult> join);
}

/// <summary>The threads of one computation's row blocks (<see cref="IRowBlocks.LeaseThreads"/>); disposing hands them back.</summary>
internal interface IRowBlockThreads : IDisposable
{
    /// <summary>The number of blocks.</summary>
    int Blocks { get; }

    /// <summary>Runs body(b) for every block b, each on block b's thread, and returns when all are done; the first exception of a block is rethrown.</summary>
    void Run(Action<int> body);
}
