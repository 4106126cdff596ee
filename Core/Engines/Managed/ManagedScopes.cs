using System.Numerics;

namespace RobustNode.Core.Engines.Managed;

/// <summary>
/// The calling thread's stack of open dispose scopes for one element type, with TorchSharp's ownership rules: every
/// value or view made while a scope is open is owned by the innermost scope; closing a scope releases what it owns;
/// <see cref="Keep"/> moves a handle from its owning scope to the scope outside that one (TorchSharp's
/// MoveToOuterDisposeScope); <see cref="Release"/> frees a handle now (Dispose). A storage block returns to the pool
/// when its last handle is released, so a view keeps the numbers it looks at alive, as in libtorch.
/// </summary>
/// <remarks>
/// <para>Thread-static: scopes, like the pool, belong to the thread that opened them, and must be closed on it,
/// innermost first. A value made on one thread may be read by others (the engine's parallel kernels do), but only its
/// own thread may keep or release it.</para>
/// <para>Scope objects are reused (one per nesting depth), so opening and closing scopes allocates nothing once the
/// deepest nesting has been seen. Disposing a scope twice is harmless unless another scope was opened at the same
/// depth in between.</para>
/// </remarks>
internal sealed class ManagedScopes<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    [ThreadStatic] private static ManagedScopes<TScalar>? _current;

    /// <summary>The calling thread's scopes.</summary>
    public static ManagedScopes<TScalar> Current => _current ??= new ManagedScopes<TScalar>();

    private readonly StoragePool<TScalar> _pool = StoragePool<TScalar>.Current;
    private readonly int _thread = Environment.CurrentManagedThreadId;
    private Scope[] _scopes = new Scope[8];
    private int _depth;

    /// <summary>The number of open scopes.</summary>
    public int Depth => _depth;

    /// <summary>A new block of at least <paramref name="count"/> elements, owned by the innermost scope (or by the caller when none is open).</summary>
    public ManagedStorage<TScalar> Allocate(int count)
    {
        var storage = _pool.Rent(count);
        if (_depth > 0) _scopes[_depth - 1].Add(storage);
        return storage;
    }

    /// <summary>A new block owned by the caller whatever scopes are open (engine scratch), to hand back with <see cref="Return"/>.</summary>
    public ManagedStorage<TScalar> Rent(int count) => _pool.Rent(count);

    /// <summary>Hands back a block from <see cref="Rent"/>.</summary>
    public void Return(ManagedStorage<TScalar> storage) => Drop(storage);

    /// <summary>Registers a new handle (a view) on an existing block, owned like a new value.</summary>
    public void AddHandle(ManagedStorage<TScalar> storage)
    {
        storage.Handles++;
        if (_depth > 0) _scopes[_depth - 1].Add(storage);
    }

    /// <summary>Opens a scope.</summary>
    public IDisposable Open()
    {
        if (_depth == _scopes.Length) Array.Resize(ref _scopes, _scopes.Length * 2);
        var scope = _scopes[_depth] ??= new Scope(this, _depth);
        scope.IsOpen = true;
        _depth++;
        return scope;
    }

    /// <summary>Moves one handle of the block from the innermost scope that owns one to the scope outside it (to the caller at the outermost).</summary>
    public void Keep(ManagedStorage<TScalar> storage)
    {
        CheckThread(storage);
        for (int s = _depth - 1; s >= 0; s--)
        {
            if (!_scopes[s].Remove(storage)) continue;
            if (s > 0) _scopes[s - 1].Add(storage);
            return;
        }
        // Not owned by any open scope: the caller owns it already.
    }

    /// <summary>Takes one handle of the block out of the innermost scope that owns one: the caller owns it now.</summary>
    public void Detach(ManagedStorage<TScalar> storage)
    {
        CheckThread(storage);
        for (int s = _depth - 1; s >= 0; s--)
            if (_scopes[s].Remove(storage)) return;
    }

    /// <summary>Releases one handle of the block now: from the innermost scope that owns one, else the caller's.</summary>
    public void Release(ManagedStorage<TScalar> storage)
    {
        CheckThread(storage);
        for (int s = _depth - 1; s >= 0; s--)
            if (_scopes[s].Remove(storage)) break;
        Drop(storage);
    }

    private void Drop(ManagedStorage<TScalar> storage)
    {
        if (--storage.Handles == 0) _pool.Return(storage);
    }

    private void Close(Scope scope)
    {
        if (!scope.IsOpen) return;
        if (Environment.CurrentManagedThreadId != _thread)
            throw new InvalidOperationException("a managed dispose scope is closed on the thread that opened it");
        if (scope.Depth != _depth - 1)
            throw new InvalidOperationException(
                $"a managed dispose scope at depth {scope.Depth} was closed while {_depth - scope.Depth - 1} scope(s) inside it were still open; close scopes innermost first");
        scope.IsOpen = false;
        _depth--;
        for (int i = 0; i < scope.Count; i++) Drop(scope.Entries[i]!);
        scope.Clear();
    }

    private void CheckThread(ManagedStorage<TScalar> storage)
    {
        if (storage.Thread != _thread)
            throw new InvalidOperationException("managed tensors are kept and released on the thread that made them");
    }

    /// <summary>One open scope: the handles it owns (a block appears once per handle).</summary>
    private sealed class Scope(ManagedScopes<TScalar> owner, int depth) : IDisposable
    {
        public readonly int Depth = depth;
        public ManagedStorage<TScalar>?[] Entries = new ManagedStorage<TScalar>?[16];
        public int Count;
        public bool IsOpen;

        public void Add(ManagedStorage<TScalar> storage)
        {
            if (Count == Entries.Length) Array.Resize(ref Entries, Entries.Length * 2);
            Entries[Count++] = storage;
        }

        /// <summary>Removes one handle of the block, searching from the newest (the usual target of Keep).</summary>
        public bool Remove(ManagedStorage<TScalar> storage)
        {
            for (int i = Count - 1; i >= 0; i--)
            {
                if (!ReferenceEquals(Entries[i], storage)) continue;
                Array.Copy(Entries, i + 1, Entries, i, Count - i - 1);
                Entries[--Count] = null;
                return true;
            }
            return false;
        }

        public void Clear()
        {
            Array.Clear(Entries, 0, Count);
            Count = 0;
        }

        public void Dispose() => owner.Close(this);
    }
}
