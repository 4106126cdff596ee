using LanguageExt;
using RobustNode.Host.Composition;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Solvers.Integration;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using static LanguageExt.Prelude;
using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Host.Runs;

/// <summary>
/// The flow of a network's ODE block drawn in a plane: every point's state at each layer boundary t₀ … t_N (the
/// solver's own states, saved at those times), projected onto two directions of the state space, and the class
/// probabilities of the head (the blocks after the ODE block) over that plane.
/// </summary>
/// <param name="Times">The layer boundaries t_k.</param>
/// <param name="X">First coordinate of every point at every boundary, [k][point].</param>
/// <param name="Y">Second coordinate, [k][point].</param>
/// <param name="Labels">The points' classes.</param>
/// <param name="Head">The head's class probabilities over the drawn part of the plane.</param>
/// <param name="XLabel">What the first coordinate is.</param>
/// <param name="YLabel">What the second coordinate is.</param>
/// <remarks>
/// With a two-dimensional state the plane is the state space itself. Otherwise the first direction is the head's
/// decision direction w₁ − w₀ (the difference of its class-1 and class-0 read-out rows, taken by the head's forward
/// pass at the unit vectors, exact for an affine head), and the second the next one for three classes or, for two,
/// the principal direction of all states across the first. For an affine head and at most three classes the
/// background is then exact: a drawn state's head probability is the background's at its position. This is the seed
/// talk's picture of classification as transport of the inputs into linearly separable positions.
/// </remarks>
internal sealed record PlanarFlow(IReadOnlyList<double> Times, double[][] X, double[][] Y, int[] Labels, GridPrediction Head, string XLabel, string YLabel)
{
    /// <summary>Number of layers N (frames: N + 1).</summary>
    public int Layers => Times.Count - 1;

    /// <summary>
    /// Traces the first <paramref name="count"/> samples of <paramref name="data"/> through <paramref name="model"/>,
    /// a <see cref="Network{T}"/> holding an <see cref="OdeBlock{T}"/> followed by a head; the head's probabilities on a
    /// grid of <paramref name="resolution"/>² points. The network runs on its own engine; the drawing is plain numbers.
    /// </summary>
    public static Fin<PlanarFlow> Trace<T>(IBlock<T> model, Dataset data, int count, int resolution)
    {
        if (model is not Network<T> { Blocks: var blocks } || blocks.Select((b, i) => (b, i)).FirstOrDefault(x => x.b is OdeBlock<T>) is not (OdeBlock<T> ode, int k)
            || k == blocks.Count - 1)
            return FinFail<PlanarFlow>(HostErrors.Computation("flow", "the model has no ODE block followed by a read-out to trace"));
        var engine = model.Engine;
        using var engineScope = engine.OpenScope();
        using var untracked = engine.Untracked();
        using var scope = NewDisposeScope();
        var points = data.First(Math.Min(count, data.Count));
        var input = engine.FromValues(points.X.to(ScalarType.Float64).contiguous().data<double>().ToArray(), model.Parameters[0], [.. points.X.shape]);
        var x0 = k == 0 ? FinSucc(input) : Inference.Output(new Network<T>(blocks.Take(k).ToArray()), input);
        var head = new Network<T>(blocks.Skip(k + 1).ToArray());
        var times = ode.Field.Grid.Boundaries.ToArray();
        return x0.Bind(x => Ode.Solve(ode.Field, x, ode.Solver, new SolveOptions(SaveAt: times)))
            .Bind(solution => Project(stack(solution.Saved.Select(engine.ToTensor).ToArray()).to(ScalarType.Float64),
                new ReadOut<T>(head, model.Parameters[0]), points.Labels, resolution))
            .Map(flow => flow with { Times = times });
    }

    /// <summary>The blocks after the ODE block, evaluated on plain float64 points of the state space.</summary>
    private sealed record ReadOut<T>(IBlock<T> Blocks, T Like)
    {
        public Fin<Tensor> Logits(Tensor points) => Evaluate(points, Classification.Logits);

        public Fin<Tensor> Probabilities(Tensor points) => Evaluate(points, Classification.Probabilities);

        private Fin<Tensor> Evaluate(Tensor points, Func<IBlock<T>, T, int, Fin<T>> f)
        {
            var engine = Blocks.Engine;
            var x = engine.FromValues(points.contiguous().data<double>().ToArray(), Like, [.. points.shape]);
            return f(Blocks, x, Classification.DefaultChunk).Map(y => engine.ToTensor(y).to(ScalarType.Float64));
        }
    }

    private static Fin<PlanarFlow> Project<T>(Tensor states, ReadOut<T> head, Tensor labels, int resolution)
    {
        long d = states.shape[2];
        var all = states.reshape(-1, d);
        var basis = d == 2
            ? FinSucc((eye(2, dtype: ScalarType.Float64)[0], eye(2, dtype: ScalarType.Float64)[1], "x₁", "x₂"))
            : Basis(all, head);
        return basis.Bind(plane => Project(states, all, plane.Item1, plane.Item2, plane.Item3, plane.Item4, head, labels, resolution));
    }

    private static Fin<PlanarFlow> Project<T>(Tensor states, Tensor all, Tensor u1, Tensor u2, string xLabel, string yLabel, ReadOut<T> head, Tensor labels, int resolution)
    {
        long d = states.shape[2];
        var xs = states.matmul(u1);
        var ys = states.matmul(u2);
        // The rest of the state: the mean of the states off the plane, where the head is evaluated (no part for d = 2).
        var mean = all.mean([0]);
        var offPlane = mean - u1 * mean.dot(u1) - u2 * mean.dot(u2);
        double Min(Tensor t) => t.min().item<double>();
        double Max(Tensor t) => t.max().item<double>();
        double padX = 0.06 * Math.Max(Max(xs) - Min(xs), 1e-6), padY = 0.06 * Math.Max(Max(ys) - Min(ys), 1e-6);
        var grid = new GridSpec(Min(xs) - padX, Max(xs) + padX, Min(ys) - padY, Max(ys) + padY, resolution, resolution);
        var a = tensor(grid.Xs, ScalarType.Float64);
        var b = tensor(grid.Ys, ScalarType.Float64);
        // Rows of constant y, columns of constant x, as GridPrediction holds them.
        var plane = offPlane.Plus(b.reshape(-1, 1, 1) * u2).Plus(a.reshape(1, -1, 1) * u1);
        return head.Probabilities(plane.reshape(-1, d)).Map(p =>
        {
            int classes = (int)p.shape[1];
            var values = p.contiguous().data<double>().ToArray();
            var probabilities = new double[resolution, resolution, classes];
            Buffer.BlockCopy(values, 0, probabilities, 0, values.Length * sizeof(double));
            return new PlanarFlow([], Rows(xs), Rows(ys), labels.cpu().to(ScalarType.Int64).data<long>().ToArray().Select(l => (int)l).ToArray(),
                new GridPrediction(grid, grid.Xs, grid.Ys, probabilities), xLabel, yLabel);
        });
    }

    /// <summary>The head's decision direction(s) and, for two classes, the principal direction of the states across it.</summary>
    private static Fin<(Tensor, Tensor, string, string)> Basis<T>(Tensor states, ReadOut<T> head)
    {
        long d = states.shape[1];
        // The head's read-out rows, W = head(e_j) − head(0), by its forward pass at the unit vectors.
        var probes = cat([zeros(1, d, dtype: ScalarType.Float64), eye(d, dtype: ScalarType.Float64)]);
        return head.Logits(probes).Map(logits => Basis(states, (logits.narrow(0, 1, d) - logits[0]).t()));
    }

    /// <summary>The plane from the read-out rows w [classes, d] and the states.</summary>
    private static (Tensor, Tensor, string, string) Basis(Tensor states, Tensor w)
    {
        long d = states.shape[1];
        var directions = new List<Tensor>();
        for (long c = 1; c < w.shape[0] && directions.Count < 2; c++)
        {
            var v = w[c] - w[0];
            foreach (var u in directions) v = v - u * v.dot(u);
            double norm = v.norm().item<double>();
            if (norm > 1e-12) directions.Add(v.Over(norm));
        }
        int fromHead = directions.Count;
        while (directions.Count < 2)
        {
            // The principal direction of the states once the directions found so far are removed.
            var residual = states - states.mean([0]);
            foreach (var u in directions) residual = residual - residual.matmul(u).unsqueeze(1) * u;
            var (_, vectors) = linalg.eigh(residual.t().matmul(residual));
            var v = vectors[.., -1].contiguous();
            foreach (var u in directions) v = v - u * v.dot(u);
            double norm = v.norm().item<double>();
            directions.Add(norm > 1e-12 ? v.Over(norm) : eye(d, dtype: ScalarType.Float64)[directions.Count]);
        }
        return (directions[0], directions[1],
            fromHead >= 1 ? "along the read-out's decision direction w₁ − w₀" : "principal direction of the states",
            fromHead >= 2 ? "along w₂ − w₀ (orthogonalised)" : "principal direction of the states across it");
    }

    private static double[][] Rows(Tensor t)
    {
        var values = t.contiguous().data<double>().ToArray();
        int n = (int)t.shape[1];
        return Enumerable.Range(0, (int)t.shape[0]).Select(k => values.AsSpan(k * n, n).ToArray()).ToArray();
    }
}
