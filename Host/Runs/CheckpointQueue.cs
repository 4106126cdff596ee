namespace RobustNode.Host.Runs;

/// <summary>
/// A trainer's per-epoch files (checkpoint and history), written off the training thread: the training thread makes
/// the bytes (the state is captured at the end of its epoch) and hands them over; a worker writes them atomically and
/// durably (<see cref="IO.AtomicFile"/>: temporary file, flush to disk, rename), so training does not wait for the disk.
/// When the worker is still writing an epoch, a newer epoch replaces the one waiting behind it (the files always hold a
/// whole epoch, at most one epoch behind while training runs). <see cref="Drain"/> waits until the newest epoch is on
/// disk and reports the first failure, as <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>.
/// </summary>
internal sealed class CheckpointQueue
{
    private readonly object _gate = new();
    private IReadOnlyList<(string Path, byte[] Bytes)>? _waiting;
    private Task _worker = Task.CompletedTask;
    private bool _running; // under _gate: a worker has not yet decided to stop (its Task may complete later)
    private Exception? _failure;

    /// <summary>Queues one epoch's files (written in the order given); rethrows a failure of an earlier write.</summary>
    public void Submit(IReadOnlyList<(string Path, byte[] Bytes)> files)
    {
        lock (_gate)
        {
            ThrowIfFailed();
            _waiting = files;
            if (!_running)
            {
                _running = true;
                _worker = Task.Run(Work);
            }
        }
    }

    /// <summary>Waits until every queued epoch is written; rethrows the first failure.</summary>
    public void Drain()
    {
        while (true)
        {
            Task worker;
            lock (_gate)
            {
                if (!_running)
                {
                    ThrowIfFailed();
                    return;
                }
                worker = _worker;
            }
            worker.Wait();
        }
    }

    private void Work()
    {
        while (true)
        {
            IReadOnlyList<(string Path, byte[] Bytes)> files;
            lock (_gate)
            {
                if (_waiting is null || _failure is not null)
                {
                    _running = false;
                    return;
                }
                (files, _waiting) = (_waiting, null);
            }
            try
            {
                foreach (var (path, bytes) in files) IO.AtomicFile.WriteAllBytes(path, bytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                lock (_gate)
                {
                    _failure ??= ex;
                    _running = false;
                }
                return;
            }
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is null) return;
        if (_failure is UnauthorizedAccessException u) throw new UnauthorizedAccessException(u.Message, u);
        throw new IOException(_failure.Message, _failure);
    }
}
