using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RobustNode.Core.Fields;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using RobustNode.Solvers.Integration;
using Xunit;
using static TorchSharp.torch;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.Solvers;

/// <summary>A neural-ODE field of some depth and final time, and the tolerance of an adaptive solve of it.</summary>
public sealed record LayeredProblem(int Layers, double FinalTime, double Tolerance, int Seed)
{
    public override string ToString() => $"N = {Layers}, T = {FinalTime:G4}, tol = {Tolerance:G2}, seed {Seed}";
}

/// <summary>Depths 1–12, final times 0.1–5, tolerances 1e-3 … 1e-8.</summary>
public static class LayeredProblems
{
    public static Arbitrary<LayeredProblem> Any() =>
        (from layers in Gen.Choose(1, 12)
         from time in Gen.Choose(1, 50)
         from digits in Gen.Choose(3, 8)
         from seed in Gen.Choose(0, 1000)
         select new LayeredProblem(layers, time / 10.0, Math.Pow(10, -digits), seed)).ToArbitrary();
}

/// <summary>
/// The controls are piecewise constant on layers [t_k, t_{k+1}), so the layer boundaries are step boundaries:
/// an adaptive solve never steps across one. Every accepted step (dense segment) lies inside the layer it
/// was taken in, and the steps of each layer tile it exactly, from t_k to t_{k+1}.
/// </summary>
[Properties(Arbitrary = [typeof(LayeredProblems)], MaxTest = 25)]
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class LayerBoundaries
{
    private static NeuralOdeField<Tensor> Field(LayeredProblem p)
    {
        var generator = new TorchSharp.torch.Generator((ulong)p.Seed);
        var w = randn([p.Layers, 3, 3], dtype: float64, generator: generator).mul_(2.0);
        var b = randn([p.Layers, 3], dtype: float64, generator: generator);
        return NeuralOdeField.Create(w, b, p.FinalTime).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
    }

    [Property]
    public bool Adaptive_steps_never_cross_a_layer_boundary(LayeredProblem p)
    {
        using var scope = NewDisposeScope();
        var field = Field(p);
        var x0 = randn([4, 3], dtype: float64, generator: new TorchSharp.torch.Generator((ulong)p.Seed + 1));
        var solution = Ode.Solve(field, x0, SolverCatalog.Adaptive(Builtins.DormandPrince, p.Tolerance, p.Tolerance), new SolveOptions(Dense: true))
            .Match(s => s, e => throw new InvalidOperationException(e.Message));
        var segments = solution.Dense!.Segments;
        var grid = field.Grid;
        for (int k = 0; k < grid.Layers; k++)
        {
            var inLayer = segments.Where(s => s.Piece == k).ToArray();
            if (inLayer.Length == 0) return false;
            if (inLayer[0].T0 != grid.Boundary(k) || inLayer[^1].T1 != grid.Boundary(k + 1)) return false;
            for (int i = 1; i < inLayer.Length; i++)
                if (inLayer[i].T0 != inLayer[i - 1].T1) return false;
            if (inLayer.Any(s => s.T0 < grid.Boundary(k) || s.T1 > grid.Boundary(k + 1) || s.T1 <= s.T0)) return false;
        }
        return segments.Count == solution.Statistics.AcceptedSteps;
    }

    [Fact]
    public void A_layer_boundary_inside_a_long_step_splits_it()
    {
        // x' = x on two layers of [0, 1]: a loose tolerance would take [0, 1] in one step, but the boundary
        // at 0.5 is a step boundary.
        using var scope = NewDisposeScope();
        var field = new FunctionField((t, x, _) => x, dim: 1, new LayerGrid(2, 1.0));
        var solution = Ode.Solve(field, ones(1, 1, dtype: float64), new OdeSolver(Builtins.DormandPrince, new PIController(1e-1, 1e-1, InitialStep: 1.0)),
            new SolveOptions(Dense: true)).Match(s => s, e => throw new InvalidOperationException(e.Message));
        Assert.Contains(solution.Dense!.Segments, s => s.T1 == 0.5 && s.Piece == 0);
        Assert.Contains(solution.Dense.Segments, s => s.T0 == 0.5 && s.Piece == 1);
    }
}
