using System.Runtime.ExceptionServices;

namespace RobustNode.Host.Runs;

/// <summary>
/// Where the trainers of a run compute: with one lane, on the calling thread, one trainer after another; with more, each
/// trainer on a thread of its own for the whole run (preparing, training, checkpointing, evaluating), at most
/// <see cref="Lanes"/> of them computing at a time. A trainer's model, optimizer state and data are made on its thread
/// and kept and released only there, as the managed engine's thread-static pools and scopes require (other threads,
/// the plots and the checkpoint writer, only read them).
/// </summary>
/// <remarks>
/// Trainers share nothing they write: each has its own model, optimizer state, seeds (SplitMix64 streams derived from its
/// own seed) and checkpoint files, so each computes the same numbers on any thread and in any interleaving, and a run
/// with several lanes is bit-identical to the run with one. On a lane thread the managed engine's kernels do not split
/// their work again (the lanes already use the cores); the row blocks of large batches still do, on the engine's own
/// threads, so that the numbers do not depend on the lanes.
/// </remarks>
internal sealed class TrainerThreads : IDisposable
{
    private readonly Lane[] _threads;
    private readonly SemaphoreSlim? _slots;

    /// <summary>Threads for <paramref name="trainers"/> trainers, <paramref name="lanes"/> computing at a time (1: all on the calling thread).</summary>
    public TrainerThreads(int trainers, int lanes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        Lanes = Math.Min(lanes, Math.Max(trainers, 1));
        if (Lanes == 1)
        {
            _threads = [];
            return;
        }
        _slots = new SemaphoreSlim(Lanes, Lanes);
        _threads = Enumerable.Range(0, trainers).Select(i => new Lane(i)).ToArray();
    }

    /// <summary>How many trainers compute at a time.</summary>
    public int Lanes { get; }

    /// <summary>True when trainers compute side by side, so that console output must be whole lines.</summary>
    public bool SideBySide => Lanes > 1;

    /// <summary>
    /// Runs body(i) for every trainer i, on trainer i's thread, and returns the results in trainer order once all are
    /// done. An exception escaping a body is rethrown after all are done (the first in trainer order).
    /// </summary>
    /// <remarks>
    /// Side by side, the trainers start last first, each as soon as a lane is free: experiments list the plain trainer
    /// first and the attack-based ones after it, which cost several times more per epoch (on moons PGD-7 takes about as
    /// long as the standard and augmented trainers together), and the costliest starting first ends the phase sooner
    /// when there are more trainers than lanes. The order changes no number, only when each trainer runs.
    /// </remarks>
    public TResult[] Run<TResult>(int trainers, Func<int, TResult> body)
    {
        var results = new TResult[trainers];
        if (_slots is null)
        {
            for (int i = 0; i < trainers; i++) results[i] = body(i);
            return results;
        }
        if (trainers > _threads.Length) throw new ArgumentOutOfRangeException(nameof(trainers), $"{trainers} trainers on {_threads.Length} threads");
        var errors = new ExceptionDispatchInfo?[trainers];
        using var done = new CountdownEvent(trainers);
        for (int i = trainers - 1; i >= 0; i--)
        {
            int trainer = i;
            _slots.Wait();
            _threads[i].Post(() =>
            {
                try { results[trainer] = body(trainer); }
                catch (Exception ex) { errors[trainer] = ExceptionDispatchInfo.Capture(ex); }
                finally
                {
                    _slots.Release();
                    done.Signal();
                }
            });
        }
        done.Wait();
        foreach (var error in errors) error?.Throw();
        return results;
    }

    /// <summary>Ends the threads (after the work posted to them).</summary>
    public void Dispose()
    {
        foreach (var lane in _threads) lane.Stop();
        _slots?.Dispose();
    }

    /// <summary>One trainer's thread: runs what is posted to it, in order.</summary>
    private sealed class Lane
    {
        private readonly Queue<Action?> _work = new();

        public Lane(int trainer)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"trainer {trainer}" };
            thread.Start();
        }

        public void Post(Action work)
        {
            lock (_work)
            {
                _work.Enqueue(work);
                Monitor.Pulse(_work);
            }
        }

        /// <summary>The thread ends after the work already posted.</summary>
        public void Stop()
        {
            lock (_work)
            {
                _work.Enqueue(null);
                Monitor.Pulse(_work);
            }
        }

        private void Loop()
        {
            // The lanes already share the cores: a trainer's kernels stay on its thread.
            Core.Engines.Managed.Kernels.Blocks.SingleThreaded = true;
            while (true)
            {
                Action? work;
                lock (_work)
                {
                    while (_work.Count == 0) Monitor.Wait(_work);
                    work = _work.Dequeue();
                }
                if (work is null) return;
                work();
            }
        }
    }
}
