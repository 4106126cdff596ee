using System.Runtime.CompilerServices;

namespace RobustNode.Core.Engines.Managed;

/// <summary>
/// The dimensions of a dense row-major array, held inline (up to <see cref="MaxRank"/> of them) so that making a value
/// of a new shape allocates nothing. Rank 0 is a single number.
/// </summary>
public readonly struct ManagedShape : IEquatable<ManagedShape>
{
    /// <summary>The largest rank a managed tensor can have.</summary>
    public const int MaxRank = 8;

    [InlineArray(MaxRank)]
    private struct Dimensions
    {
        private int _first;
    }

    private readonly Dimensions _dimensions;

    /// <summary>The number of dimensions.</summary>
    public int Rank { get; }

    /// <summary>The number of elements (the product of the dimensions; 1 for rank 0).</summary>
    public int Count { get; }

    /// <summary>The size of dimension <paramref name="axis"/>.</summary>
    public int this[int axis] => (uint)axis < (uint)Rank ? _dimensions[axis] : throw new ArgumentOutOfRangeException(nameof(axis));

    private ManagedShape(in Dimensions dimensions, int rank, int count)
    {
        _dimensions = dimensions;
        Rank = rank;
        Count = count;
    }

    /// <summary>A shape of one dimension.</summary>
    public static ManagedShape Of(int length) => Of([length]);

    /// <summary>A shape of two dimensions.</summary>
    public static ManagedShape Of(int rows, int columns) => Of([rows, columns]);

    /// <summary>
    /// The shape with the given dimensions; one of them may be −1 when <paramref name="count"/> is given, and is then
    /// inferred (PyTorch's reshape convention).
    /// </summary>
    /// <exception cref="ArgumentException">Too many dimensions, a negative size, a size that cannot be inferred, or
    /// more than <see cref="int.MaxValue"/> elements.</exception>
    public static ManagedShape Of(ReadOnlySpan<long> dimensions, int count = -1)
    {
        if (dimensions.Length > MaxRank)
            throw new ArgumentException($"a managed tensor has at most {MaxRank} dimensions, got {dimensions.Length}");
        var d = new Dimensions();
        long product = 1;
        int inferred = -1;
        for (int i = 0; i < dimensions.Length; i++)
        {
            long n = dimensions[i];
            if (n == -1 && count >= 0 && inferred < 0) { inferred = i; continue; }
            if (n < 0) throw new ArgumentException($"dimension {i} of the shape {Format(dimensions)} is negative");
            product *= n;
            if (product > int.MaxValue) throw new ArgumentException($"the shape {Format(dimensions)} has more than {int.MaxValue} elements");
            d[i] = (int)n;
        }
        if (inferred >= 0)
        {
            if (product == 0 || count % product != 0)
                throw new ArgumentException($"the shape {Format(dimensions)} does not fit {count} elements");
            d[inferred] = (int)(count / product);
            product = count;
        }
        return new ManagedShape(d, dimensions.Length, (int)product);
    }

    /// <inheritdoc cref="Of(ReadOnlySpan{long}, int)"/>
    public static ManagedShape Of(ReadOnlySpan<int> dimensions)
    {
        if (dimensions.Length > MaxRank)
            throw new ArgumentException($"a managed tensor has at most {MaxRank} dimensions, got {dimensions.Length}");
        Span<long> wide = stackalloc long[dimensions.Length];
        for (int i = 0; i < wide.Length; i++) wide[i] = dimensions[i];
        return Of(wide);
    }

    /// <summary>The shape without its first dimension (the shape of one sample or one layer's slice).</summary>
    public ManagedShape WithoutFirst()
    {
        if (Rank == 0) throw new ArgumentException("a rank-0 value has no first dimension to select from");
        var d = new Dimensions();
        for (int i = 1; i < Rank; i++) d[i - 1] = _dimensions[i];
        return new ManagedShape(d, Rank - 1, Product(d, Rank - 1));
    }

    /// <summary>The same shape with the first dimension replaced.</summary>
    public ManagedShape WithFirst(int first)
    {
        if (Rank == 0) throw new ArgumentException("a rank-0 value has no first dimension");
        var d = _dimensions;
        d[0] = first;
        return new ManagedShape(d, Rank, Product(d, Rank));
    }

    /// <summary>The number of elements per entry of the first dimension (per sample: d for [B, d]).</summary>
    public int RowLength => Rank == 0 ? 1 : Product(_dimensions, Rank, 1);

    private static int Product(in Dimensions d, int rank, int from = 0)
    {
        long p = 1;
        for (int i = from; i < rank; i++) p *= d[i];
        return (int)p;
    }

    /// <summary>The dimensions as a new array (allocates).</summary>
    public long[] ToArray()
    {
        var result = new long[Rank];
        for (int i = 0; i < Rank; i++) result[i] = _dimensions[i];
        return result;
    }

    /// <inheritdoc/>
    public bool Equals(ManagedShape other)
    {
        if (Rank != other.Rank) return false;
        for (int i = 0; i < Rank; i++)
            if (_dimensions[i] != other._dimensions[i]) return false;
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ManagedShape other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (int i = 0; i < Rank; i++) hash.Add(_dimensions[i]);
        return hash.ToHashCode();
    }

    /// <summary>Whether the two shapes have the same extents.</summary>
    public static bool operator ==(ManagedShape a, ManagedShape b) => a.Equals(b);

    /// <summary>Whether the two shapes differ in rank or in an extent.</summary>
    public static bool operator !=(ManagedShape a, ManagedShape b) => !a.Equals(b);

    /// <summary>"[256, 8]".</summary>
    public override string ToString()
    {
        Span<long> d = stackalloc long[Rank];
        for (int i = 0; i < Rank; i++) d[i] = _dimensions[i];
        return Format(d);
    }

    private static string Format(ReadOnlySpan<long> dimensions) => "[" + string.Join(", ", dimensions.ToArray()) + "]";
}
