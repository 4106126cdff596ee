using System.Numerics;
using System.Runtime.CompilerServices;

namespace RobustNode.Core.Engines.Managed;

/// <summary>
/// The calling thread's pool of storage blocks for one element type: blocks in power-of-two size classes, reused
/// last-in first-out, so that a loop that makes the same temporaries every iteration allocates nothing after its first
/// iterations.
/// </summary>
/// <remarks>
/// Thread-static: each thread has its own pool and nothing is locked. A block returns to the pool of the thread that
/// releases it. The pool keeps at most <see cref="RetainedBytesLimit"/> bytes of idle blocks per thread and element
/// type; blocks beyond that are left to the garbage collector.
/// </remarks>
internal sealed class StoragePool<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    /// <summary>Idle bytes a thread keeps for reuse.</summary>
    public const long RetainedBytesLimit = 1L << 30;

    private const int SmallestClass = 4; // 16 elements
    private const int LargestClass = 30; // larger blocks are made to measure and not kept

    [ThreadStatic] private static StoragePool<TScalar>? _current;

    /// <summary>The calling thread's pool.</summary>
    public static StoragePool<TScalar> Current => _current ??= new StoragePool<TScalar>();

    private readonly ManagedStorage<TScalar>?[][] _idle = new ManagedStorage<TScalar>?[32][];
    private readonly int[] _counts = new int[32];
    private long _retainedBytes;
    private readonly int _thread = Environment.CurrentManagedThreadId;

    /// <summary>Blocks created since the thread started (for tests of reuse).</summary>
    public long Created { get; private set; }

    /// <summary>A block of at least <paramref name="count"/> elements, with one handle (the caller's), not zeroed.</summary>
    public ManagedStorage<TScalar> Rent(int count)
    {
        int c = SizeClass(count);
        ManagedStorage<TScalar> storage;
        if (c > LargestClass)
        {
            storage = new ManagedStorage<TScalar>(count);
            Created++;
        }
        else if (_counts[c] > 0)
        {
            storage = _idle[c][--_counts[c]]!;
            _idle[c][_counts[c]] = null;
            _retainedBytes -= Bytes(storage);
        }
        else
        {
            storage = new ManagedStorage<TScalar>(1 << c);
            Created++;
        }
        storage.Handles = 1;
        storage.Thread = _thread;
        return storage;
    }

    /// <summary>Takes back a block whose last handle was released; its generation changes.</summary>
    public void Return(ManagedStorage<TScalar> storage)
    {
        storage.Generation++;
        storage.Handles = 0;
        long bytes = Bytes(storage);
        int c = SizeClass(storage.Data.Length);
        if (c > LargestClass || _retainedBytes + bytes > RetainedBytesLimit) return;
        var stack = _idle[c] ??= new ManagedStorage<TScalar>?[16];
        if (_counts[c] == stack.Length) Array.Resize(ref _idle[c], stack.Length * 2);
        _idle[c][_counts[c]++] = storage;
        _retainedBytes += bytes;
    }

    private static int SizeClass(int count) =>
        count <= 1 << SmallestClass ? SmallestClass : 32 - BitOperations.LeadingZeroCount((uint)count - 1);

    private static long Bytes(ManagedStorage<TScalar> storage) => (long)storage.Data.Length * Unsafe.SizeOf<TScalar>();
}
