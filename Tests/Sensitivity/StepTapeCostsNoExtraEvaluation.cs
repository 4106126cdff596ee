using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers;
using RobustNode.Solvers.Integration;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// The discrete adjoint's forward solve records a step tape (start state, time, size and layer of every accepted step),
/// not dense output: a non-FSAL scheme with one step per layer evaluates the field s times per layer (Euler once — a
/// ResNet's forward pass), where dense output needs one more evaluation at the end of every layer. Its reverse sweep
/// evaluates the field only at the stages whose value a later stage uses.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class StepTapeCostsNoExtraEvaluation
{
    private const int Layers = 5;

    [Theory]
    [InlineData("euler", 1)]
    [InlineData("midpoint", 2)]
    [InlineData("rk4", 4)]
    [InlineData("kutta3", 3)]
    public void The_forward_sweep_evaluates_each_stage_once_per_layer(string scheme, int stages)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        Assert.False(tableau.IsFsal);
        var p = NodeProblem.Draw(seed: 3, dim: 3, batch: 4, layers: Layers, LossKind.CrossEntropy);
        var field = new CountingField(p.Field());
        using var sweep = AdjointMode.Discrete.Forward(field, SolverCatalog.Fixed(tableau), p.X0).Ok();

        Assert.Equal(Layers * stages, field.Evaluations);
        Assert.Equal(Layers * stages, sweep.Statistics.FunctionEvaluations);

        var dense = new CountingField(p.Field());
        var withDenseOutput = Ode.Solve(dense, p.X0, SolverCatalog.Fixed(tableau), new SolveOptions(Dense: true)).Ok();
        Assert.Equal(Layers * (stages + 1), dense.Evaluations);
        Assert.Equal(withDenseOutput.Final.data<double>().ToArray(), sweep.Final.data<double>().ToArray());
    }

    [Fact]
    public void An_fsal_scheme_shares_the_last_stage_between_the_steps_of_a_layer()
    {
        using var scope = NewDisposeScope();
        var tableau = Tableaux.DormandPrince;
        Assert.True(tableau.IsFsal);
        var p = NodeProblem.Draw(seed: 4, dim: 3, batch: 2, layers: Layers, LossKind.Square);
        var field = new CountingField(p.Field());
        using var sweep = AdjointMode.Discrete.Forward(field, SolverCatalog.Fixed(tableau, 3), p.X0).Ok();
        // Per layer: f(t_k, x_k), then s − 1 new stages for each of the 3 steps.
        Assert.Equal(Layers * (1 + 3 * (tableau.Stages - 1)), field.Evaluations);
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("rk4")]
    [InlineData("ralston")]
    public void The_reverse_sweep_evaluates_only_the_stages_later_stages_use(string scheme)
    {
        using var scope = NewDisposeScope();
        var tableau = SolverCatalog.BuiltIn[scheme];
        var p = NodeProblem.Draw(seed: 5, dim: 3, batch: 4, layers: Layers, LossKind.CrossEntropy);
        // A field that saves no intermediates: the reverse sweep recomputes the stages that later stages use.
        var field = new CountingField(p.Field(), savesIntermediates: false);
        Assert.Equal(Layers * Enumerable.Range(0, tableau.Stages).Count(tableau.FeedsLaterStage), ReverseEvaluations(field, tableau, p));
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("rk4")]
    [InlineData("ralston")]
    public void The_reverse_sweep_evaluates_no_stage_of_a_field_that_saves_its_intermediates(string scheme)
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 5, dim: 3, batch: 4, layers: Layers, LossKind.CrossEntropy);
        Assert.Equal(0, ReverseEvaluations(new CountingField(p.Field()), SolverCatalog.BuiltIn[scheme], p));
    }

    private static int ReverseEvaluations(CountingField field, ButcherTableau tableau, NodeProblem p)
    {
        using var sweep = AdjointMode.Discrete.Forward(field, SolverCatalog.Fixed(tableau), p.X0).Ok();
        int forward = field.Evaluations;
        sweep.Reverse(p.LossFunction().Gradient(sweep.Final), withControls: true).Ok();
        return field.Evaluations - forward;
    }
}
