using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Sensitivity;
using RobustNode.Tests.Sensitivity.Support;
using RobustNode.Tests.Training.Support;
using RobustNode.Training.Models;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>
/// The robust objectives' gradients are derivatives: with the random draws and the attacks' perturbed inputs held fixed,
/// the central difference [f(θ + hη) − f(θ − hη)] / 2h of each objective along a random parameter direction η equals
/// ⟨∇_θ f, η⟩ up to O(h²), on random small point-cloud networks (sizes, scheme, steps per layer, norm and data drawn from
/// the seed). Cases whose perturbed inputs sit at a kink of the objective (a residual or a linear term of LLR at zero, a
/// coordinate of p(x̃) at a kink of the dual norm) are discarded, and FsCheck counts them.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class RobustObjectivesMatchFiniteDifferences
{
    private const double H = 1e-6;

    public RobustObjectivesMatchFiniteDifferences() => Initialise();

    private sealed record Case(Network<Tensor> Model, Tensor X, CrossEntropyLoss<Tensor> Loss, AttackNorm Norm, double Epsilon, Tensor Start, Tensor[] Direction, string Label);

    private static Case Draw(int seed)
    {
        var rng = new Random(seed);
        string[] schemes = ["euler", "midpoint", "heun", "rk4"];
        var scheme = schemes[rng.Next(schemes.Length)];
        int stepsPerLayer = rng.Next(1, 3);
        var config = new PointCloudModel(Dim: rng.Next(2, 5), Layers: rng.Next(1, 4), FinalTime: 0.5 + rng.NextDouble(), BiasScale: 0.3, WeightScale: 1.2)
        {
            Solver = SolverCatalog.Fixed(SolverCatalog.BuiltIn[scheme], stepsPerLayer),
        };
        var model = Ok(config.Build(rng.Next()));
        var data = Moons(rng.Next(4, 14), rng.Next(1, 1000)).Train;
        var norm = new[] { AttackNorm.Infinity, AttackNorm.Two, AttackNorm.One }[rng.Next(3)];
        double epsilon = 0.05 + 0.25 * rng.NextDouble();
        using var g = new Generator((ulong)rng.NextInt64());
        var start = (rand(data.X.shape, dtype: float64, generator: g) * 2 - 1) * epsilon;
        var direction = model.Parameters.Select(p => Gaussian.Like(g, p)).ToArray();
        return new Case(model, data.X, CrossEntropyLoss.Create(data.Labels), norm, epsilon, start, direction,
            $"{scheme}×{stepsPerLayer}, d={config.Dim}, N={config.Layers}, B={data.Count}, q={norm}, ε={epsilon:F3}");
    }

    /// <summary>Checks f's gradient along the case's direction against a central difference, f evaluated at moved parameters.</summary>
    private static void Check(Case c, Func<IBlock<Tensor>, ObjectiveResult<Tensor>> f, string what)
    {
        var at = f(c.Model);
        double exact = 0, scale = 0;
        for (int i = 0; i < c.Direction.Length; i++)
        {
            exact += (at.Gradients[i] * c.Direction[i]).sum().item<double>();
            scale += (at.Gradients[i] * c.Direction[i]).abs().sum().item<double>();
        }
        double Value(double s) => f(c.Model.WithParameters(c.Model.Parameters.Select((p, i) => p + s * c.Direction[i]).ToArray())).Objective;
        double difference = (Value(H) - Value(-H)) / (2 * H);
        Assert.True(Math.Abs(difference - exact) <= 1e-6 * Math.Max(scale, 1e-3), $"{what}, {c.Label}: central difference {difference:R}, adjoint {exact:R}");
    }

    [Property(MaxTest = 12)]
    public void Fgsm_with_random_start_matches_central_differences(int seed)
    {
        using var scope = NewDisposeScope();
        var c = Draw(seed);
        var adversary = Ok(new FgsmRsObjective(c.Epsilon, c.Norm).Example(c.Model, c.X, c.Loss, c.Start));
        Check(c, m => Ok(FgsmRsObjective.At(m, c.X, c.Loss, adversary)), "fgsm-rs");
    }

    [Property(MaxTest = 12)]
    public void Trades_matches_central_differences(int seed)
    {
        using var scope = NewDisposeScope();
        var c = Draw(seed);
        var objective = new TradesObjective(c.Epsilon, c.Norm) { Weight = 2, Steps = 2 };
        var adversary = Ok(objective.Adversary(c.Model, c.X, c.Loss, 0.01 * c.Start));
        Check(c, m => Ok(TradesObjective.At(m, c.X, c.Loss, adversary, 2)), "trades");
    }

    [Property(MaxTest = 12)]
    public void GradAlign_matches_central_differences(int seed)
    {
        using var scope = NewDisposeScope();
        var c = Draw(seed);
        var p = Ok(LossDerivatives.InputSensitivity(c.Model, c.X, c.Loss));
        var adversary = c.X + c.Epsilon * AutogradObjectives.Steepest(c.Norm, p);
        var noisy = c.X + RobustNode.Core.Engines.TorchEngine.Instance.Project(c.Norm, c.Start, c.Epsilon);
        Check(c, m => Ok(GradAlignObjective.At(m, c.X, c.Loss, adversary, noisy, 0.8)), "gradalign");
    }

    [Property(MaxTest = 12)]
    public Property Llr_matches_central_differences_away_from_its_kinks(int seed)
    {
        using var scope = NewDisposeScope();
        var c = Draw(seed);
        var perturbed = Ok(new LlrObjective(c.Epsilon, c.Norm) { Steps = 2 }.Perturbed(c.Model, c.X, c.Loss, c.Start));
        // The kinks of |r| and |δᵀp|: neither may be near zero in any sample.
        var clean = Ok(LossDerivatives.Gradient(c.Model, c.X, c.Loss, withParameters: false));
        var moved = Ok(LossDerivatives.Gradient(c.Model, perturbed, c.Loss, withParameters: false));
        var delta = perturbed - c.X;
        var linear = (delta * clean.InputSensitivity).sum(1);
        var residual = c.Loss.PerSample(moved.FinalState) - c.Loss.PerSample(clean.FinalState) - linear;
        bool smooth = residual.abs().min().item<double>() > 1e-6 && linear.abs().min().item<double>() > 1e-6;
        if (smooth) Check(c, m => Ok(LlrObjective.At(m, c.X, c.Loss, perturbed, 4, 3)), "llr");
        return Prop.Implies(smooth, true);
    }

    [Property(MaxTest = 12)]
    public Property Augmented_loss_at_an_adversarial_point_matches_central_differences_away_from_its_kinks(int seed)
    {
        using var scope = NewDisposeScope();
        var c = Draw(seed);
        var objective = new AugmentedAdversarialObjective(c.Epsilon, c.Norm);
        var adversary = Ok(objective.Example(c.Model, c.X, c.Loss, c.Start));
        var p = Ok(LossDerivatives.InputSensitivity(c.Model, adversary, c.Loss));
        bool smooth = GradientsMatchFiniteDifferences.DistanceToKink(p, c.Norm) > 1e-3;
        if (smooth) Check(c, m => Ok(AugmentedAdversarialObjective.At(m, c.X, c.Loss, adversary, new AugmentedLoss(c.Epsilon, c.Norm))), "augmented-adversarial");
        return Prop.Implies(smooth, true);
    }
}
