namespace RobustNode.Core.Errors;

/// <summary>Shapes as they appear in error messages: "[B, 3]".</summary>
internal static class ShapeText
{
    /// <summary>The shape as "[d₀, d₁, …]".</summary>
    public static string Of(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}
