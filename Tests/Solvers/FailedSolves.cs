using System.Globalization;
using System.Text.RegularExpressions;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using Xunit;
using static TorchSharp.torch;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// A solve that cannot finish returns an error value with a stable code and a message that says where it
/// stopped — never an exception, a hang or a silently wrong answer: step-size underflow (301) when the
/// solution blows up, a non-finite state (300) or underflow when the field returns NaN, and the step limit (302).
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class FailedSolves
{
    private static OdeSolver Adaptive(string name, double tol = 1e-6, int maxSteps = 100_000) =>
        new(Builtins.All.Single(t => t.Name == name), new PIController(tol, tol, MaxSteps: maxSteps));

    private static double TimeIn(string message) =>
        double.Parse(Regex.Match(message, @"t = ([-+0-9.eE]+)").Groups[1].Value, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("bosh3")]
    [InlineData("dopri5")]
    [InlineData("tsit5")]
    public void A_finite_time_blow_up_is_a_step_size_underflow_at_the_blow_up_time(string method)
    {
        // y' = y², y(0) = 1: y = 1/(1 − t) blows up at t = 1.
        using var scope = NewDisposeScope();
        var result = Ode.Solve((t, y) => y * y, tensor(new[] { 1.0 }), 0, 2, Adaptive(method));
        var error = Assert.Single(result.Match(_ => [], e => new[] { e }));
        Assert.Equal(RobustNodeErrors.StepSizeUnderflowCode, error.Code);
        Assert.Contains("step size underflow", error.Message);
        Assert.InRange(TimeIn(error.Message), 0.999, 1.0);
    }

    [Theory]
    [InlineData("dopri5")]
    [InlineData("tsit5")]
    public void NaN_from_the_field_stops_an_adaptive_solve_where_it_appears(string method)
    {
        using var scope = NewDisposeScope();
        var result = Ode.Solve((t, y) => t > 0.5 ? y * double.NaN : -y, tensor(new[] { 1.0 }), 0, 2, Adaptive(method));
        var error = Assert.Single(result.Match(_ => [], e => new[] { e }));
        Assert.Contains(error.Code, new[] { RobustNodeErrors.NonFiniteStateCode, RobustNodeErrors.StepSizeUnderflowCode });
        Assert.InRange(TimeIn(error.Message), 0.5 - 1e-9, 0.5 + 1e-9);
    }

    [Fact]
    public void NaN_in_a_fixed_step_solve_names_the_first_layer_where_it_appears()
    {
        // Four layers on [0, 1]; the field returns NaN after t = 0.5, so the state breaks in layer 2 (which ends at t = 0.75).
        using var scope = NewDisposeScope();
        var field = new FunctionField((t, x, _) => t > 0.5 ? x * double.NaN : -x, dim: 2, new LayerGrid(4, 1.0));
        var result = Ode.Solve(field, ones(3, 2, dtype: float64), SolverCatalog.Fixed(Builtins.Rk4, 3));
        var error = Assert.Single(result.Match(_ => [], e => new[] { e }));
        Assert.Equal(RobustNodeErrors.NonFiniteStateCode, error.Code);
        Assert.Contains("NaN or infinite", error.Message);
        Assert.Contains("(layer 2)", error.Message);
        Assert.Equal(0.75, TimeIn(error.Message), 12);
    }

    [Fact]
    public void An_infinite_initial_state_is_reported_in_the_first_layer()
    {
        using var scope = NewDisposeScope();
        var field = new FunctionField((t, x, _) => x.tanh(), dim: 1, new LayerGrid(3, 3.0));
        var x0 = tensor(new[] { 0.0, double.PositiveInfinity }, [2, 1]);
        var error = Assert.Single(Ode.Solve(field, x0, SolverCatalog.Fixed(Builtins.Euler)).Match(_ => [], e => new[] { e }));
        Assert.Equal(RobustNodeErrors.NonFiniteStateCode, error.Code);
        Assert.Contains("(layer 0)", error.Message);
    }

    [Fact]
    public void Exceeding_the_step_limit_is_error_302()
    {
        using var scope = NewDisposeScope();
        var result = Ode.Solve(Detest.A3.F, tensor(Detest.A3.Y0), 0, 20, Adaptive("dopri5", tol: 1e-8, maxSteps: 10));
        var error = Assert.Single(result.Match(_ => [], e => new[] { e }));
        Assert.Equal(RobustNodeErrors.MaxStepsExceededCode, error.Code);
        Assert.Contains("more than 10 steps", error.Message);
    }

    [Fact]
    public void A_constant_step_solve_beyond_its_step_limit_fails_before_its_first_step()
    {
        // Two layers of 2·10⁹ steps each: refused at once (error 302), where it used to run for hours.
        using var scope = NewDisposeScope();
        var field = new FunctionField((t, x, _) => -x, dim: 1, new LayerGrid(2, 1.0));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Single(Ode.Solve(field, ones(1, 1, dtype: float64), SolverCatalog.Fixed(Builtins.Rk4, int.MaxValue)).Match(_ => [], e => new[] { e }));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.Equal(RobustNodeErrors.MaxStepsExceededCode, error.Code);
        Assert.Contains("4294967294 constant steps (2 layers) would be needed, more than the limit of 100000 steps", error.Message);

        var limited = SolverCatalog.Fixed(Builtins.Rk4, 10, maxSteps: 19);
        Assert.Equal(RobustNodeErrors.MaxStepsExceededCode, Assert.Single(Ode.Solve(field, ones(1, 1, dtype: float64), limited).Match(_ => [], e => new[] { e })).Code);
        Assert.True(Ode.Solve(field, ones(1, 1, dtype: float64), SolverCatalog.Fixed(Builtins.Rk4, 10, maxSteps: 20)).IsSucc);
    }
}
