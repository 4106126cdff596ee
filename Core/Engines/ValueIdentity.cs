using System.Runtime.CompilerServices;

namespace RobustNode.Core.Engines;

/// <summary>
/// The identity of engine values, whatever the engine's value type: the same object for reference types (TorchSharp
/// tensors, whose <c>Equals</c> compares elements), the same handle for value types (managed tensors, which implement
/// <see cref="IEquatable{T}"/> as identity: the same storage, offset and shape). Also what "absent" means for an
/// optional value (a bias, a read-out): null, or <c>default</c> of a value type.
/// </summary>
/// <remarks>Generic code must not use <see cref="object.ReferenceEquals"/> or <c>is null</c> on engine values: a
/// value type is boxed (an allocation) and never identical, never null.</remarks>
internal sealed class ValueIdentity<T> : IEqualityComparer<T>
{
    /// <summary>The comparer.</summary>
    public static ValueIdentity<T> Instance { get; } = new();

    private ValueIdentity() { }

    /// <inheritdoc/>
    public bool Equals(T? a, T? b) => typeof(T).IsValueType ? EqualityComparer<T>.Default.Equals(a, b) : ReferenceEquals(a, b);

    /// <inheritdoc/>
    public int GetHashCode(T x) => typeof(T).IsValueType ? EqualityComparer<T>.Default.GetHashCode(x!) : RuntimeHelpers.GetHashCode(x);

    /// <summary>True for an absent optional value: null, or <c>default</c> of a value type.</summary>
    public static bool IsAbsent(T? x) => x is null || (typeof(T).IsValueType && EqualityComparer<T>.Default.Equals(x, default));
}
