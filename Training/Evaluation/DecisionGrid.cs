using LanguageExt;
using LanguageExt.Common;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Evaluation;

/// <summary>A rectangular grid of the plane: <see cref="Columns"/> points from XMin to XMax, <see cref="Rows"/> from YMin to YMax.</summary>
public sealed record GridSpec(double XMin, double XMax, double YMin, double YMax, int Columns = 200, int Rows = 200)
{
    /// <summary>The bounding box of a two-dimensional data set ([n, 2] inputs), widened by a margin on every side.</summary>
    public static Fin<GridSpec> Around(Dataset data, double margin = 0.25, int resolution = 200)
    {
        if (data.SampleShape is not [2])
            return FinFail<GridSpec>(TrainingErrors.InvalidConfiguration("grid", $"needs two-dimensional inputs, the data set '{data.Name}' has samples [{string.Join(", ", data.SampleShape)}]"));
        using var scope = NewDisposeScope();
        var min = data.X.amin([0]).to(ScalarType.Float64, CPU).data<double>().ToArray();
        var max = data.X.amax([0]).to(ScalarType.Float64, CPU).data<double>().ToArray();
        return new GridSpec(min[0] - margin, max[0] + margin, min[1] - margin, max[1] + margin, resolution, resolution).Validate();
    }

    /// <summary>Checks the bounds and sizes.</summary>
    public Fin<GridSpec> Validate() => TrainingErrors.All(Problems()).Map(_ => this);

    private IEnumerable<Error> Problems()
    {
        if (!(XMin < XMax) || !double.IsFinite(XMin) || !double.IsFinite(XMax)) yield return TrainingErrors.InvalidConfiguration("grid.x", $"needs finite xMin < xMax, got [{XMin}, {XMax}]");
        if (!(YMin < YMax) || !double.IsFinite(YMin) || !double.IsFinite(YMax)) yield return TrainingErrors.InvalidConfiguration("grid.y", $"needs finite yMin < yMax, got [{YMin}, {YMax}]");
        if (Columns < 2 || Rows < 2) yield return TrainingErrors.InvalidConfiguration("grid.resolution", $"needs at least 2 × 2 points, got {Columns} × {Rows}");
    }

    /// <summary>The x coordinates of the columns.</summary>
    public double[] Xs => Enumerable.Range(0, Columns).Select(i => XMin + (XMax - XMin) * i / (Columns - 1)).ToArray();

    /// <summary>The y coordinates of the rows.</summary>
    public double[] Ys => Enumerable.Range(0, Rows).Select(j => YMin + (YMax - YMin) * j / (Rows - 1)).ToArray();
}

/// <summary>
/// A classifier's class probabilities on a grid, for level-set plots: <c>Probabilities[row, column, class]</c> at the
/// point (Xs[column], Ys[row]).
/// </summary>
public sealed record GridPrediction(GridSpec Grid, double[] Xs, double[] Ys, double[,,] Probabilities)
{
    /// <summary>Number of classes.</summary>
    public int Classes => Probabilities.GetLength(2);

    /// <summary>The probability of one class as a [row, column] array.</summary>
    public double[,] ProbabilityOf(int @class)
    {
        var p = new double[Ys.Length, Xs.Length];
        for (int r = 0; r < Ys.Length; r++)
            for (int c = 0; c < Xs.Length; c++) p[r, c] = Probabilities[r, c, @class];
        return p;
    }

    /// <summary>The most probable class at every point, [row, column].</summary>
    public int[,] PredictedClass()
    {
        var k = new int[Ys.Length, Xs.Length];
        for (int r = 0; r < Ys.Length; r++)
            for (int c = 0; c < Xs.Length; c++)
            {
                int best = 0;
                for (int j = 1; j < Classes; j++) if (Probabilities[r, c, j] > Probabilities[r, c, best]) best = j;
                k[r, c] = best;
            }
        return k;
    }
}

/// <summary>Class probabilities of a two-input classifier over a grid of the plane.</summary>
public static class DecisionGrid
{
    /// <summary>Evaluates the model at every grid point (rows of constant y, columns of constant x), on its engine.</summary>
    public static Fin<GridPrediction> Evaluate<T>(IBlock<T> model, GridSpec grid) => grid.Validate().Bind(_ =>
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        double[] xs = grid.Xs, ys = grid.Ys;
        var points = new double[xs.Length * ys.Length * 2];
        for (int r = 0, i = 0; r < ys.Length; r++)
            for (int c = 0; c < xs.Length; c++, i += 2) (points[i], points[i + 1]) = (xs[c], ys[r]);
        var parameters = model.Parameters;
        var x = parameters.Count > 0
            ? engine.FromValues(points, parameters[0], xs.Length * ys.Length, 2)
            : engine.FromTensor(tensor(points, [xs.Length * ys.Length, 2], ScalarType.Float64));
        return Classification.Probabilities(model, x).Map(p =>
        {
            int classes = (int)engine.Shape(p)[1];
            var values = engine.ToArray(p);
            var probabilities = new double[ys.Length, xs.Length, classes];
            Buffer.BlockCopy(values, 0, probabilities, 0, values.Length * sizeof(double));
            return new GridPrediction(grid, xs, ys, probabilities);
        });
    });
}
