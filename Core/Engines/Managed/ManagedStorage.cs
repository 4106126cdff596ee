using System.Numerics;

namespace RobustNode.Core.Engines.Managed;

/// <summary>
/// A block of numbers that managed tensors live in: a pooled array with a count of the handles (values and views)
/// that refer to it and a generation that changes each time it goes back to the pool, so that a handle that outlived
/// its block is detected instead of reading another value's numbers.
/// </summary>
internal sealed class ManagedStorage<TScalar>(int capacity)
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    /// <summary>The numbers (the array's length is the pool bucket's capacity, at least the value's size).</summary>
    public TScalar[] Data { get; } = GC.AllocateUninitializedArray<TScalar>(capacity);

    /// <summary>Live handles: values and views owned by a scope or by the caller.</summary>
    public int Handles;

    /// <summary>The managed thread whose pool and scopes the block belongs to (set when rented).</summary>
    public int Thread;

    /// <summary>Changes each time the block returns to the pool; handles remember the generation they were made in.</summary>
    public int Generation;
}
