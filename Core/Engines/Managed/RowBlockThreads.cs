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

    /// <summary>
    /// Runs body(b) for <paramref name="blocks"/> blocks of one hand-off — block 0 on the calling thread, the others on
    /// lent threads — and returns when all are done; the first exception of a block is rethrown. For a computation whose
    /// blocks keep nothing past the call (<see cref="IRowBlocks.JoinBlocks"/>): with the caller computing a block, the
    /// blocks need one thread fewer, and the caller, busy instead of asleep, needs no waking when they end.
    /// </summary>
    public static void RunHere(int blocks, Action<int> body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        using var lease = Lease(blocks - 1);
        var done = new Completion(blocks - 1);
        var errors = new ExceptionDispatchInfo?[blocks];
        for (int b = 1; b < blocks; b++) lease._workers[b - 1].Post(body, b, done, errors);
        bool single = Kernels.Blocks.SingleThreaded;
        Kernels.Blocks.SingleThreaded = true;
        try { body(0); }
        catch (Exception ex) { errors[0] = ExceptionDispatchInfo.Capture(ex); }
        finally { Kernels.Blocks.SingleThreaded = single; }
        // The blocks were split evenly, so the others end about now: a short spin, then sleep.
        done.Wait(spin: true);
        foreach (var error in errors) error?.Throw();
    }

    /// <summary>
    /// Where the blocks of <see cref="IRowBlocks.JoinBlocks"/> meet: the other blocks report their parts done, the caller
    /// waits for them, joins, and releases them. Waits spin for up to <see cref="Worker.SpinTicks"/> before sleeping.
    /// </summary>
    internal sealed class Rendezvous(int others)
    {
        private volatile int _pending = others;
        private volatile bool _failed, _released;

        /// <summary>Another block's part is done (or failed).</summary>
        public void PartDone(bool succeeded)
        {
            if (!succeeded) _failed = true;
            Interlocked.Decrement(ref _pending);
            Wake();
        }

        /// <summary>Waits for every other block's part; false when one failed.</summary>
        public bool WaitForParts()
        {
            Await(this, static r => ((Rendezvous)r)._pending == 0, spin: true);
            return !_failed;
        }

        /// <summary>The caller is done with the parts.</summary>
        public void Release()
        {
            _released = true;
            Wake();
        }

        /// <summary>Waits until the caller is done with the parts.</summary>
        public void WaitForRelease() => Await(this, static r => ((Rendezvous)r)._released, spin: true);

        private void Wake()
        {
            lock (this) Monitor.PulseAll(this);
        }
    }

    // Waits until done(gate) holds, looking for it for up to Worker.SpinTicks first when `spin`, then asleep on the gate's
    // monitor (whoever makes it hold pulses the gate under its lock, after setting it).
    private static void Await(object gate, Func<object, bool> done, bool spin)
    {
        if (spin)
        {
            long until = Stopwatch.GetTimestamp() + Worker.SpinTicks;
            while (!done(gate) && Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
        }
        lock (gate)
            while (!done(gate)) Monitor.Wait(gate);
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
        private volatile int _running = blocks;

        public void Signal()
        {
            lock (this)
                if (--_running == 0) Monitor.Pulse(this);
        }

        /// <param name="spin">Look for the end for up to <see cref="Worker.SpinTicks"/> before sleeping: only for a caller
        /// that computed a block itself, so that the spinning thread is not one more than the cores.</param>
        public void Wait(bool spin = false) => Await(this, static c => ((Completion)c)._running == 0, spin);
    }

    private sealed class Worker
    {
        /// <summary>
        /// How long a worker looks for its next block before it sleeps: the sweeps of one gradient follow each other
        /// within tens of microseconds, a training loop's gradients within a few hundred (the optimizer step and the next
        /// batch between them), and waking a sleeping thread took 80–300 µs on the machines these were measured on, up
        /// to a millisecond at times on a shared virtual machine.
        /// </summary>
        public static readonly long SpinTicks = Stopwatch.Frequency * 500 / 1_000_000;

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
