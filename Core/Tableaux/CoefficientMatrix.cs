namespace RobustNode.Core.Tableaux;

/// <summary>
/// The Runge–Kutta matrix A of a <see cref="ButcherTableau"/> as a read-only value: a private copy of the
/// coefficients that can be indexed (<c>A[i, j]</c>) but not written, so a validated tableau cannot be changed
/// after its order conditions were checked.
/// </summary>
public sealed class CoefficientMatrix
{
    private readonly double[,] _values;

    /// <summary>A read-only copy of <paramref name="values"/>; later changes to the array do not reach it.</summary>
    public CoefficientMatrix(double[,] values) => _values = (double[,])values.Clone();

    /// <summary>The coefficient aᵢⱼ (0-based).</summary>
    public double this[int i, int j] => _values[i, j];

    /// <summary>Rows (dimension 0) or columns (dimension 1).</summary>
    public int GetLength(int dimension) => _values.GetLength(dimension);

    /// <summary>A fresh, writable copy of the coefficients.</summary>
    public double[,] ToArray() => (double[,])_values.Clone();

    /// <summary>A read-only copy of an array (for the order-condition functions, which take either).</summary>
    public static implicit operator CoefficientMatrix(double[,] values) => new(values);
}
