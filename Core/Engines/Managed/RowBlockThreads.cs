using System.Diagnostics;
using System.Runtime.ExceptionServices;
using RobustNode.Core.Engines.Managed.Kernels;

namespace RobustNode.Core.Engines.Managed;

/// <summary>
/// The threads the managed engine runs row blocks on (<see cref="IRowBlocks"/>): long-lived background threads shared
/// by every engine of the process and lent to one computation at a time, so that block b of a computation always runs
/// on the same thread (its values, pools and scopes stay there, and its scopes are not interleaved with another
/// computation's), and a loop of gradients starts no thread after the first.
/// </summary>
internal sealed class RowBlockThreads : IRowBlockThreads
{
    private static readonly Stack<Worker> Idle = new();
    private Worker[] _workers;

    private RowBlockThreads(Worker[] workers) => _workers = workers;

    /// <summary>Lends <paramref name="blocks"/> threads (started when none is idle) until the lease is disposed.</summary>
    public static RowBlockThreads Lease(int blocks)
    {
        var workers = new Worker[blocks];
        lock (Idle)
            for (int b = 0; b < blocks; b++) workers[b] = Idle.Count > 0 ? Idle.Pop() : new Worker();
        return new RowBlockThreads(workers);
    }

    /// <inheritdoc/>
    public int Blocks => _workers.Length;

    /// <inheritdoc/>
    public void Run(Action<int> body)
    {
        ObjectDisposedException.ThrowIf(_workers.Length == 0, this);
        int blocks = _workers.Length;
        var done = new Completion(blocks);
        var errors = new ExceptionDispatchInfo?[blocks];
        for (int b = 0; b < blocks; b++) _workers[b].Post(body, b, done, errors);
        done.Wait();
        foreach (var error in errors) error?.Throw();
    }

    /// <summary>Hands the threads back (disposing twice does nothing).</summary>
    public void Dispose()
    {
        lock (Idle)
            foreach (var worker in _workers) Idle.Push(worker);
        _workers = [];
    }

    /// <summary>
    /// The blocks still running. The caller sleeps until the last one ends instead of spinning (as CountdownEvent does
    /// first): a spinning caller would take a core from the blocks, one more thread than the cores they were split for.
    /// </summary>
    private sealed class Completion(int blocks)
    {
        private int _running = blocks;

        public void Signal()
        {
            lock (this)
                if (--_running == 0) Monitor.Pulse(this);
        }

        public void Wait()
        {
            lock (this)
                while (_running > 0) Monitor.Wait(this);
        }
    }

    private sealed class Worker
    {
        /// <summary>
        /// How long a worker looks for its next block before it sleeps: the sweeps of one gradient follow each other
        /// within tens of microseconds, and waking a sleeping thread took 80–300 µs on the machines these were
        /// measured on (a gradient of B = 4096 runs six block rounds).
        /// </summary>
        private static readonly long SpinTicks = Stopwatch.Frequency * 50 / 1_000_000;

        private readonly object _gate = new();
        private (Action<int> Body, int Block, Completion Done, ExceptionDispatchInfo?[] Errors)? _job;
        private volatile bool _posted;

        public Worker()
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "managed engine row block" };
            thread.Start();
        }

        public void Post(Action<int> body, int block, Completion done, ExceptionDispatchInfo?[] errors)
        {
            lock (_gate)
            {
                _job = (body, block, done, errors);
                _posted = true;
                Monitor.Pulse(_gate);
            }
        }

        private void Loop()
        {
            // A row block is already one thread's share: its kernels do not split again.
            Kernels.Blocks.SingleThreaded = true;
            while (true)
            {
                long until = Stopwatch.GetTimestamp() + SpinTicks;
                while (!_posted && Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
                (Action<int> Body, int Block, Completion Done, ExceptionDispatchInfo?[] Errors) job;
                lock (_gate)
                {
                    while (_job is null) Monitor.Wait(_gate);
                    job = _job.Value;
                    _job = null;
                    _posted = false;
                }
                try { job.Body(job.Block); }
                catch (Exception ex) { job.Errors[job.Block] = ExceptionDispatchInfo.Capture(ex); }
                finally { job.Done.Signal(); }
            }
        }
    }
}
