using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using RobustNode.Tests.Oracles;
using RobustNode.Tests.Training.Support;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>
/// Every robust objective, from a given random draw, equals its autograd re-implementation through the same network
/// (<see cref="AutogradObjectives"/>) to 1e-9 in float64: the same perturbation from the same start, the same value, and the
/// same parameter gradient — by the second-order adjoint where the objective contains ∇ₓℓ (GradAlign, LLR, augmented loss at
/// an adversarial point), by double backpropagation in the reference. Solvers Euler, midpoint and RK4; attack norms ∞, 2
/// and 1; with and without an input box that clips; on TorchSharp and on the managed engine (the same network built there
/// from the same seed).
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class RobustObjectivesEqualDoubleBackprop
{
    private const double Tolerance = 1e-9;

    public RobustObjectivesEqualDoubleBackprop() => Initialise();

    public static TheoryData<string, string, bool, string> Cases()
    {
        var data = new TheoryData<string, string, bool, string>();
        foreach (var (solver, q, box) in new[] { ("euler", "inf", false), ("rk4", "inf", true), ("midpoint", "2", false), ("rk4", "2", true), ("euler", "1", false) })
            foreach (var engine in new[] { OracleEngine.Torch, OracleEngine.Managed })
                data.Add(solver, q, box, engine);
        return data;
    }

    private const long ModelSeed = 11;

    private sealed record Setup(PointCloudModel Config, Network<Tensor> Model, MiniBatch Batch, CrossEntropyLoss<Tensor> Loss, AttackNorm Norm, InputBox? Box,
        AutogradObjectives Reference, Tensor Uniform, Tensor Gaussian)
    {
        /// <summary>The objective from the given draw, computed on the named engine (the same network built there from the same seed).</summary>
        public ObjectiveResult<Tensor> Evaluate(string engine, IRobustObjective objective, Tensor draw) =>
            OracleEngine.On(engine, new Evaluation(this, objective, draw));
    }

    private sealed record Evaluation(Setup S, IRobustObjective Objective, Tensor Draw) : IOracleUser<ObjectiveResult<Tensor>>
    {
        public ObjectiveResult<Tensor> Use<T>(IEngine<T> e, Func<SensitivityProblem<Tensor>, SensitivityProblem<T>> transfer)
        {
            var model = Ok(S.Config.Build(e, ModelSeed));
            var r = Ok(Objective.EvaluateFrom(model, e.FromTensor(S.Batch.X), new CrossEntropyLoss<T>(e, e.FromTensor(S.Loss.Labels)), e.FromTensor(Draw)));
            return new(r.Loss, r.Objective, r.Gradients.Select(g => e.ToTensor(g)).ToArray(), e.ToTensor(r.Logits));
        }
    }

    private static Setup Draw(string solver, string q, bool box, double epsilon)
    {
        var config = new PointCloudModel(Dim: 3, Layers: 3, FinalTime: 1.2, BiasScale: 0.3, WeightScale: 1.5)
        {
            Solver = SolverCatalog.Fixed(SolverCatalog.BuiltIn[solver]),
        };
        var model = Ok(config.Build(ModelSeed));
        var data = Moons(20, 5).Train;
        var batch = new MiniBatch(0, data.X, data.Labels);
        var norm = AttackNorm.Parse(q)!;
        // A box just around the data, so that some perturbed coordinates are clipped.
        InputBox? inputBox = box ? new InputBox(data.X.min().item<double>() - 0.05, data.X.max().item<double>() + 0.05) : null;
        using var g = new Generator(7);
        var uniform = (rand(data.X.shape, dtype: float64, generator: g) * 2 - 1) * epsilon;
        var gaussian = 0.001 * randn(data.X.shape, dtype: float64, generator: g);
        return new Setup(config, model, batch, CrossEntropyLoss.Create(data.Labels), norm, inputBox, new AutogradObjectives(model, data.Labels, inputBox), uniform, gaussian);
    }

    private static void Same(ReferenceObjective expected, ObjectiveResult<Tensor> actual, string what)
    {
        Assert.Equal(expected.Gradients.Length, actual.Gradients.Count);
        Assert.True(Math.Abs(expected.Loss - actual.Loss) <= 1e-12 * Math.Max(1, Math.Abs(expected.Loss)), $"{what}: clean loss {actual.Loss:R} vs {expected.Loss:R}");
        Assert.True(Math.Abs(expected.Objective - actual.Objective) <= Tolerance * Math.Max(1, Math.Abs(expected.Objective)),
            $"{what}: objective {actual.Objective:R} vs {expected.Objective:R}");
        for (int i = 0; i < expected.Gradients.Length; i++)
        {
            double scale = Math.Max(1, expected.Gradients[i].abs().max().item<double>());
            double difference = MaxAbsDifference(actual.Gradients[i], expected.Gradients[i]);
            Assert.True(difference <= Tolerance * scale, $"{what}: parameter {i}: adjoint and autograd differ by {difference:G3}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fgsm_with_random_start_equals_autograd(string solver, string q, bool box, string engine)
    {
        using var scope = NewDisposeScope();
        const double epsilon = 0.2;
        var s = Draw(solver, q, box, epsilon);
        var objective = new FgsmRsObjective(epsilon, s.Norm) { Box = s.Box };
        var actual = s.Evaluate(engine, objective, s.Uniform);
        Same(s.Reference.FgsmRs(s.Batch.X, s.Uniform, s.Norm, epsilon, 1.25 * epsilon), actual, $"fgsm-rs {solver} q={q} on {engine}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Trades_equals_autograd_through_both_outputs(string solver, string q, bool box, string engine)
    {
        using var scope = NewDisposeScope();
        const double epsilon = 0.2, beta = 3;
        var s = Draw(solver, q, box, epsilon);
        var objective = new TradesObjective(epsilon, s.Norm) { Weight = beta, Steps = 3, Box = s.Box };
        var actual = s.Evaluate(engine, objective, s.Gaussian);
        Same(s.Reference.Trades(s.Batch.X, s.Gaussian, s.Norm, epsilon, 2.5 * epsilon / 3, 3, beta), actual, $"trades {solver} q={q} on {engine}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradAlign_second_order_adjoint_equals_double_backprop(string solver, string q, bool box, string engine)
    {
        using var scope = NewDisposeScope();
        const double epsilon = 0.2, lambda = 0.7;
        var s = Draw(solver, q, box, epsilon);
        var objective = new GradAlignObjective(epsilon, s.Norm) { Weight = lambda, Box = s.Box };
        var actual = s.Evaluate(engine, objective, s.Uniform);
        Same(s.Reference.GradAlign(s.Batch.X, s.Uniform, s.Norm, epsilon, lambda), actual, $"gradalign {solver} q={q} on {engine}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Llr_second_order_adjoint_equals_double_backprop(string solver, string q, bool box, string engine)
    {
        using var scope = NewDisposeScope();
        const double epsilon = 0.2, lambda = 4, mu = 3;
        var s = Draw(solver, q, box, epsilon);
        var objective = new LlrObjective(epsilon, s.Norm) { LinearityWeight = lambda, GradientWeight = mu, Steps = 2, Box = s.Box };
        var actual = s.Evaluate(engine, objective, s.Uniform);
        Same(s.Reference.Llr(s.Batch.X, s.Uniform, s.Norm, epsilon, 2.5 * epsilon / 2, 2, lambda, mu), actual, $"llr {solver} q={q} on {engine}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Augmented_loss_at_an_adversarial_point_equals_double_backprop(string solver, string q, bool box, string engine)
    {
        using var scope = NewDisposeScope();
        const double epsilon = 0.2, weight = 0.35;
        var s = Draw(solver, q, box, epsilon);
        var objective = new AugmentedAdversarialObjective(epsilon, s.Norm) { Weight = weight, Box = s.Box };
        var actual = s.Evaluate(engine, objective, s.Uniform);
        Same(s.Reference.AugmentedAdversarial(s.Batch.X, s.Uniform, s.Norm, epsilon, 1.25 * epsilon, weight), actual, $"augmented-adversarial {solver} q={q} on {engine}");
    }
}
