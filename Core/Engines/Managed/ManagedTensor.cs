using System.Numerics;
using System.Runtime.CompilerServices;

namespace RobustNode.Core.Engines.Managed;

/// <summary>
/// A value of the managed engine: a dense row-major array of float or double of any rank up to
/// <see cref="ManagedShape.MaxRank"/>, batch-first like PyTorch (states [B, d], per-sample values [B], parameters
/// [m, n], stacked per-layer controls [N, m, n]). A small struct — a storage block, an offset and the shape inline —
/// so making one allocates nothing; its numbers live in a pooled <see cref="ManagedStorage{TScalar}"/> that views
/// (<c>Select</c>, <c>Rows</c>, <c>Reshape</c>) share.
/// </summary>
/// <remarks>
/// <para>Every managed tensor is contiguous: a view along the first dimension or a reshape of a contiguous array is
/// contiguous, and nothing else makes views.</para>
/// <para><c>default</c> is the absent value (<see cref="IsNone"/>), e.g. a layer without bias. Equality is identity
/// (the same handle), which is what <see cref="ValueIdentity{T}"/> gives generic code.</para>
/// <para>A handle whose storage went back to the pool (its scope closed, or it was released) is dead: reading it
/// throws <see cref="ObjectDisposedException"/>, as a disposed TorchSharp tensor does.</para>
/// </remarks>
public readonly struct ManagedTensor<TScalar> : IEquatable<ManagedTensor<TScalar>>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    internal readonly ManagedStorage<TScalar>? Storage;
    internal readonly int Generation;
    internal readonly int Offset;

    /// <summary>The dimensions.</summary>
    public ManagedShape Shape { get; }

    internal ManagedTensor(ManagedStorage<TScalar> storage, int offset, ManagedShape shape)
    {
        Storage = storage;
        Generation = storage.Generation;
        Offset = offset;
        Shape = shape;
    }

    /// <summary>The number of elements.</summary>
    public int Count => Shape.Count;

    /// <summary>True for <c>default</c>: no value (e.g. an absent bias).</summary>
    public bool IsNone => Storage is null;

    /// <summary>True while the storage this handle refers to has not gone back to the pool.</summary>
    public bool IsAlive => Storage is not null && Storage.Generation == Generation;

    /// <summary>The numbers, row-major.</summary>
    /// <exception cref="ObjectDisposedException">The value was released or its scope closed.</exception>
    public ReadOnlySpan<TScalar> Values => Span;

    /// <summary>The numbers, row-major, writable (engine-internal: values are immutable to their users).</summary>
    internal Span<TScalar> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var storage = Storage;
            if (storage is null || storage.Generation != Generation) ThrowDead(storage is null);
            return new Span<TScalar>(storage!.Data, Offset, Shape.Count);
        }
    }

    /// <summary>The same numbers seen with another shape or offset (the caller registers the new handle).</summary>
    internal ManagedTensor<TScalar> View(int offset, ManagedShape shape) => new(Storage!, Offset + offset, shape);

    /// <summary>The same numbers with another shape of the same size, no new handle (engine scratch).</summary>
    internal ManagedTensor<TScalar> Reshape(ManagedShape shape) => new(Storage!, Offset, shape);

    private static void ThrowDead(bool none) => throw (none
        ? new ArgumentException("a managed tensor is required here, got the absent value (default)")
        : new ObjectDisposedException(nameof(ManagedTensor<TScalar>),
            "this managed tensor was released or its dispose scope was closed; Keep it to let it outlive the scope"));

    /// <summary>Identity: the same handle (storage, generation, offset and shape), not equal elements.</summary>
    public bool Equals(ManagedTensor<TScalar> other) =>
        ReferenceEquals(Storage, other.Storage) && Generation == other.Generation && Offset == other.Offset && Shape == other.Shape;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ManagedTensor<TScalar> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Storage is null ? 0 : RuntimeHelpers.GetHashCode(Storage), Generation, Offset, Shape);

    /// <summary>Whether the two are the same handle (storage, generation, offset and shape), not whether their elements are equal.</summary>
    public static bool operator ==(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b) => a.Equals(b);

    /// <summary>Whether the two are different handles; see <c>==</c>.</summary>
    public static bool operator !=(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b) => !a.Equals(b);

    /// <inheritdoc/>
    public override string ToString() =>
        $"ManagedTensor<{typeof(TScalar).Name}>{(IsNone ? "(none)" : Shape.ToString())}{(IsNone || IsAlive ? "" : " (released)")}";
}
