using System.Globalization;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RobustNode.Host.Problems;

namespace RobustNode.Tests.Host;

public class ProblemFileProperties
{
    [Property(MaxTest = 200)]
    public bool Finite_matrices_read_back_exactly(PositiveInt rows, PositiveInt cols, NormalFloat[] values)
    {
        int r = 1 + rows.Get % 5, c = 1 + cols.Get % 5;
        double At(int i, int j) => values.Length == 0 ? 0 : values[(i * c + j) % values.Length].Get;
        var text = "[" + string.Join(",", Enumerable.Range(0, r).Select(i =>
            "[" + string.Join(",", Enumerable.Range(0, c).Select(j => At(i, j).ToString("R", CultureInfo.InvariantCulture))) + "]")) + "]";
        using var document = JsonDocument.Parse(text);
        return JsonValues.Matrix(document.RootElement, "$.x0", r, c).Match(
            Succ: m => m.GetLength(0) == r && m.GetLength(1) == c &&
                       Enumerable.Range(0, r).All(i => Enumerable.Range(0, c).All(j => m[i, j] == At(i, j))),
            Fail: _ => false);
    }

    [Property(MaxTest = 100)]
    public bool A_matrix_with_one_short_row_names_that_row(PositiveInt rows, PositiveInt cols, PositiveInt shortRow)
    {
        int r = 1 + rows.Get % 5, c = 2 + cols.Get % 4, k = shortRow.Get % r;
        var text = "[" + string.Join(",", Enumerable.Range(0, r).Select(i =>
            "[" + string.Join(",", Enumerable.Repeat("1", i == k ? c - 1 : c)) + "]")) + "]";
        using var document = JsonDocument.Parse(text);
        return JsonValues.Matrix(document.RootElement, "$.x0", r, c).Match(
            Succ: _ => false,
            Fail: e => e.Count == 1 && e.Head.Message == $"$.x0[{k}]: expected {c} numbers, got {c - 1}");
    }
}
