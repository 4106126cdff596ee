using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using RobustNode.Solvers.Integration;
using Xunit;
using static TorchSharp.torch;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// Inputs are checked before anything is integrated: a controller that needs an error estimate with a scheme
/// that has none, and output times outside the span or out of order, are errors naming the problem.
/// </summary>
public sealed class SolverValidation
{
    private static readonly Func<double, Tensor, Tensor> Decay = (t, y) => -y;

    [Theory]
    [InlineData("euler")]
    [InlineData("rk4")]
    [InlineData("rk38")]
    public void An_adaptive_controller_needs_an_embedded_tableau(string name)
    {
        var solver = new OdeSolver(Builtins.All.Single(t => t.Name == name), new PIController());
        var failures = solver.Validate().Match(_ => [], e => e.ToArray());
        var error = Assert.Single(failures);
        Assert.Equal(RobustNodeErrors.InvalidArgumentCode, error.Code);
        Assert.Contains($"'{name}' has no embedded error estimate", error.Message);

        using var scope = NewDisposeScope();
        var solve = Ode.Solve(Decay, tensor(new[] { 1.0 }), 0, 1, solver);
        Assert.Equal(error.Message, solve.Match(_ => "", e => e.Message));
    }

    [Fact]
    public void Every_embedded_tableau_can_take_adaptive_steps() =>
        Assert.All(Builtins.All.Where(t => t.IsAdaptive), t =>
            Assert.True(new OdeSolver(t, new PIController()).Validate().IsSuccess, t.Name));

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Save_times_outside_the_span_are_rejected(double outside)
    {
        using var scope = NewDisposeScope();
        var result = Ode.Solve(Decay, tensor(new[] { 1.0 }), 0, 1, SolverCatalog.Adaptive(Builtins.DormandPrince),
            new SolveOptions(SaveAt: [0.5, outside]));
        var error = Assert.Single(result.Match(_ => [], e => new[] { e }));
        Assert.Equal(RobustNodeErrors.InvalidArgumentCode, error.Code);
        Assert.Contains("saveAt[1]", error.Message);
        Assert.Contains("outside the span", error.Message);
    }

    [Fact]
    public void Save_times_must_follow_the_direction_of_integration()
    {
        using var scope = NewDisposeScope();
        var result = Ode.Solve(Decay, tensor(new[] { 1.0 }), 0, 1, SolverCatalog.Fixed(Builtins.Rk4, 4),
            new SolveOptions(SaveAt: [0.2, 0.7, 0.4]));
        Assert.Contains("saveAt[2]", result.Match(_ => "", e => e.Message));
    }

    [Fact]
    public void Save_times_inside_the_span_return_the_solution_there()
    {
        using var scope = NewDisposeScope();
        double[] times = [0, 0.25, 1 / 3.0, 0.9, 1];
        var result = Ode.Solve(Decay, tensor(new[] { 1.0 }), 0, 1, SolverCatalog.Adaptive(Builtins.DormandPrince, 1e-9, 1e-9),
            new SolveOptions(SaveAt: times));
        var saved = result.Match(s => s.Saved.Select(x => x.item<double>()).ToArray(), e => throw new InvalidOperationException(e.Message));
        Assert.Equal(times.Length, saved.Length);
        for (int i = 0; i < times.Length; i++) Assert.Equal(Math.Exp(-times[i]), saved[i], 8);
    }

    [Fact]
    public void A_state_of_the_wrong_width_is_rejected_before_solving()
    {
        using var scope = NewDisposeScope();
        var field = new FunctionField((t, x, _) => -x, dim: 3, new LayerGrid(2, 1.0));
        var result = Ode.Solve(field, ones(4, 2, dtype: float64), SolverCatalog.Fixed(Builtins.Rk4));
        var error = Assert.Single(result.Match(_ => [], e => new[] { e }));
        Assert.Equal(RobustNodeErrors.ShapeMismatchCode, error.Code);
        Assert.Contains("[B, 3]", error.Message);
    }
}
