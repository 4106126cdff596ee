using RobustNode.Core.Sampling;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Tests.Training;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Attacks;

[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class AttackTests
{
    private readonly Network<Tensor> _model = SmallNetwork(11);
    private readonly Tensor _x0;
    private readonly Tensor _labels;

    public AttackTests()
    {
        Initialise();
        var data = Moons(60, 5).Train;
        (_x0, _labels) = (data.X, data.Labels);
    }

    private CrossEntropyLoss<Tensor> Loss => CrossEntropyLoss.Create(_labels);

    public static TheoryData<string> Norms => new() { "inf", "2", "1" };

    /// <summary>‖δᵢ‖_q of each sample.</summary>
    private static Tensor Sizes(AttackNorm norm, Tensor delta) => norm.Q switch
    {
        2 => delta.square().sum(1).sqrt(),
        1 => delta.abs().sum(1),
        _ => delta.abs().amax([1]),
    };

    private static AttackNorm NormOf(string q) => AttackNorm.Parse(q)!;

    private Tensor PerSampleLoss(Tensor x) => Loss.PerSample(Ok(Inference.Output(_model, x)));

    [Theory]
    [MemberData(nameof(Norms))]
    public void Zero_radius_attacks_change_nothing(string q)
    {
        var norm = NormOf(q);
        foreach (IAttack attack in new IAttack[] { new Fgsm(0, norm), Pgd.Madry(0, norm, steps: 5, seed: 3), new Pgd(0, norm, 3, 0.1, RandomStart: true, Restarts: 2) })
            Assert.True(BitIdentical(Ok(attack.Perturb(_model, _x0, Loss)), _x0), $"{attack.Name} with ε = 0 moved the inputs");
    }

    [Fact]
    public void Fgsm_under_the_max_norm_is_the_sign_of_the_autograd_input_gradient()
    {
        const double eps = 0.1;
        var gradient = InputGradientByAutograd();
        Assert.True(MaxAbsDifference(Ok(LossDerivatives.InputSensitivity(_model, _x0, Loss)), gradient) < 1e-12);
        var adversarial = Ok(new Fgsm(eps, AttackNorm.Infinity).Perturb(_model, _x0, Loss));
        Assert.True(BitIdentical(adversarial, _x0 + eps * gradient.sign()));
    }

    /// <summary>∇_{x₀} Σ ℓᵢ by autograd through the Euler network (zero padding, W tanh(x) + b layers, read-out).</summary>
    private Tensor InputGradientByAutograd()
    {
        using var enable = enable_grad();
        var x = _x0.detach().clone().requires_grad_(true);
        var padding = (ZeroPaddingBlock<Tensor>)_model.Blocks[0];
        var field = (RobustNode.Core.Fields.NeuralOdeField<Tensor>)((OdeBlock<Tensor>)_model.Blocks[1]).Field;
        var readout = (LinearBlock<Tensor>)_model.Blocks[2];
        var z = nn.functional.pad(x, [0, padding.Dim - padding.Inputs]);
        double h = field.Grid.LayerWidth;
        for (int k = 0; k < field.Grid.Layers; k++) z = z + h * nn.functional.linear(z.tanh(), field.Weights[k], field.Biases[k]);
        var logits = nn.functional.linear(z, readout.Weight, readout.Bias);
        var loss = (logits.logsumexp(1) - logits.gather(1, _labels.unsqueeze(1)).squeeze(1)).sum();
        return autograd.grad([loss], [x])[0].detach();
    }

    [Theory]
    [MemberData(nameof(Norms))]
    public void Fgsm_steps_to_the_boundary_of_the_ball(string q)
    {
        const double eps = 0.2;
        var norm = NormOf(q);
        var delta = Ok(new Fgsm(eps, norm).Perturb(_model, _x0, Loss)) - _x0;
        var sizes = Sizes(norm, delta);
        Assert.True((sizes - eps).abs().max().item<double>() < 1e-12);
    }

    [Theory]
    [MemberData(nameof(Norms))]
    public void Pgd_from_the_clean_input_with_step_epsilon_is_at_least_as_strong_as_fgsm_per_sample(string q)
    {
        const double eps = 0.25;
        var norm = NormOf(q);
        var fgsm = PerSampleLoss(Ok(new Fgsm(eps, norm).Perturb(_model, _x0, Loss)));
        var pgd = PerSampleLoss(Ok(new Pgd(eps, norm, Steps: 10, StepSize: eps, RandomStart: false).Perturb(_model, _x0, Loss)));
        Assert.True(pgd.ge(fgsm).all().item<bool>(), "some sample lost less under PGD than under FGSM");
    }

    [Theory]
    [MemberData(nameof(Norms))]
    public void More_restarts_never_weaken_pgd(string q)
    {
        var norm = NormOf(q);
        var one = PerSampleLoss(Ok(Pgd.Madry(0.2, norm, steps: 4, seed: 8).Perturb(_model, _x0, Loss)));
        var three = PerSampleLoss(Ok((Pgd.Madry(0.2, norm, steps: 4, seed: 8) with { Restarts = 3 }).Perturb(_model, _x0, Loss)));
        Assert.True(three.ge(one).all().item<bool>());
    }

    [Fact]
    public void Pgd_is_reproducible_from_its_seed()
    {
        var attack = new Pgd(0.15, AttackNorm.Infinity, Steps: 1, StepSize: 0.01, RandomStart: true, Seed: 21);
        Assert.True(BitIdentical(Ok(attack.Perturb(_model, _x0, Loss)), Ok(attack.Perturb(_model, _x0, Loss))));
        Assert.False(BitIdentical(Ok(attack.Perturb(_model, _x0, Loss)), Ok(attack.WithSeed(22).Perturb(_model, _x0, Loss))));
    }

    [Theory]
    [InlineData("inf", 0.05, 1)]
    [InlineData("inf", 0.3, 2)]
    [InlineData("2", 0.05, 3)]
    [InlineData("2", 0.3, 4)]
    [InlineData("inf", 1.5, 5)]
    [InlineData("2", 1.5, 6)]
    [InlineData("1", 0.05, 7)]
    [InlineData("1", 0.3, 8)]
    [InlineData("1", 1.5, 9)]
    public void Perturbations_respect_the_norm_ball_and_the_box(string q, double eps, long seed)
    {
        var norm = NormOf(q);
        var box = new InputBox(-1.6, 1.6);
        var x0 = _x0.clamp(-1.6, 1.6);
        var attacks = new IAttack[]
        {
            new Fgsm(eps, norm), new Fgsm(eps, norm, box),
            Pgd.Madry(eps, norm, steps: 5, seed: seed), new Pgd(eps, norm, 5, eps, RandomStart: true, Restarts: 2, Seed: seed, Box: box),
        };
        foreach (var attack in attacks)
        {
            var adversarial = Ok(attack.Perturb(_model, x0, Loss));
            var delta = adversarial - x0;
            var size = Sizes(norm, delta);
            Assert.True(size.max().item<double>() <= eps * (1 + 1e-12) + 1e-15, $"{attack}: ‖δ‖ = {size.max().item<double>():R} > ε = {eps}");
            if (attack.Box is { } b)
                Assert.True(adversarial.min().item<double>() >= b.Min && adversarial.max().item<double>() <= b.Max, $"{attack} left the box");
        }
    }

    [Theory]
    [InlineData(double.PositiveInfinity)]
    [InlineData(2.0)]
    [InlineData(1.0)]
    public void Random_starts_lie_in_the_ball(double q)
    {
        var norm = q switch { 2.0 => AttackNorm.Two, 1.0 => AttackNorm.One, _ => AttackNorm.Infinity };
        var delta = BallSampling.Uniform(TorchEngine.Instance, norm, 0.3, zeros([2000, 3], dtype: ScalarType.Float64), new SplitMix64(5));
        var size = q switch { 2.0 => delta.square().sum(1).sqrt(), 1.0 => delta.abs().sum(1), _ => delta.abs().amax([1]) };
        Assert.True(size.max().item<double>() <= 0.3 * (1 + 1e-12));
        // Uniform in the ball: a fair share of the samples lies in the outer shell (radius ≥ 0.8·r holds 1 − 0.8³ ≈ 49 % of the volume).
        double outer = size.ge(0.24).to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(outer, 0.42, 0.56);
    }

    [Fact]
    public void Invalid_attacks_are_error_values_naming_the_problem()
    {
        var cases = new (IAttack Attack, Tensor X, ILoss<Tensor> Loss, string Expected)[]
        {
            (new Fgsm(-0.1, AttackNorm.Infinity), _x0, Loss, "epsilon"),
            (new Pgd(0.1, AttackNorm.Infinity, 0, 0.01), _x0, Loss, "steps"),
            (new Pgd(0.1, AttackNorm.Infinity, 3, -1), _x0, Loss, "stepSize"),
            (new Pgd(0.1, AttackNorm.Two, 3, 0.05, Restarts: 0), _x0, Loss, "restarts"),
            (new Fgsm(0.1, AttackNorm.Infinity, new InputBox(1, -1)), _x0, Loss, "box"),
            (new Fgsm(0.1, AttackNorm.Infinity, new InputBox(0, 1)), _x0, Loss, "outside the input box"),
            (new Fgsm(0.1, AttackNorm.Infinity), _x0, CrossEntropyLoss.Create(_labels.narrow(0, 0, 5)), "loss targets"),
            (new Fgsm(0.1, AttackNorm.Infinity), zeros(4, 3, dtype: ScalarType.Float64), CrossEntropyLoss.Create(zeros(4, dtype: ScalarType.Int64)), "input"),
        };
        foreach (var (attack, x, loss, expected) in cases)
        {
            var error = Failure(attack.Perturb(_model, x, loss));
            Assert.Contains(expected, error.Message);
        }
        var many = Failure(new Pgd(-1, AttackNorm.Infinity, 0, 0.1, Restarts: 0).Perturb(_model, _x0, Loss));
        Assert.Contains("epsilon", many.Message);
        Assert.Contains("steps", many.Message);
        Assert.Contains("restarts", many.Message);
        Assert.Equal(RobustNodeErrors.InvalidArgumentCode, many.Code);
    }

    [Fact]
    public void Attack_families_scale_the_pgd_step_with_the_radius()
    {
        var family = AttackFamily.Pgd(AttackNorm.Infinity, steps: 10);
        var attack = Assert.IsType<Pgd>(family.At(0.2));
        Assert.Equal(0.05, attack.StepSize, 15);
        Assert.Equal("pgd10-inf", family.Name);
        Assert.Equal(0.3, AttackFamily.Fgsm(AttackNorm.Two).At(0.3).Epsilon);
        var halved = Assert.IsType<Pgd>(Pgd.Madry(0.2, AttackNorm.Infinity, steps: 10).WithEpsilon(0.1));
        Assert.Equal(0.025, halved.StepSize, 15);
    }

    [Fact]
    public void Fgsm_in_the_one_norm_moves_each_sample_along_its_largest_gradient_entry()
    {
        const double eps = 0.2;
        var gradient = InputGradientByAutograd();
        var delta = Ok(new Fgsm(eps, AttackNorm.One).Perturb(_model, _x0, Loss)) - _x0;
        var j = gradient.abs().argmax(1, keepdim: true);
        var expected = zeros_like(gradient).scatter_(1, j, gradient.gather(1, j).sign() * eps);
        Assert.True(MaxAbsDifference(delta, expected) < 1e-12);
    }

    [Theory]
    [InlineData(1L, 0.1)]
    [InlineData(2L, 0.5)]
    [InlineData(3L, 3.0)]
    public void The_one_norm_projection_is_the_nearest_point_of_the_ball(long seed, double radius)
    {
        // Reference: the projection is sign(δ)·max(|δ| − θ, 0) with θ ≥ 0 found by bisection on Σ max(|δ| − θ, 0) = r.
        var generator = new TorchSharp.torch.Generator(unchecked((ulong)seed));
        var delta = randn(64, 7, dtype: float64, generator: generator);
        var projected = RobustNode.Core.Engines.TorchEngine.Instance.Project(AttackNorm.One, delta, radius);
        var rows = delta.data<double>().ToArray();
        var ours = projected.data<double>().ToArray();
        for (int i = 0; i < 64; i++)
        {
            var row = rows.AsSpan(i * 7, 7).ToArray();
            double total = row.Sum(Math.Abs);
            double[] expected;
            if (total <= radius) expected = row;
            else
            {
                double lo = 0, hi = row.Max(Math.Abs);
                for (int it = 0; it < 200; it++)
                {
                    double mid = (lo + hi) / 2;
                    if (row.Sum(v => Math.Max(Math.Abs(v) - mid, 0)) > radius) lo = mid; else hi = mid;
                }
                expected = row.Select(v => Math.Sign(v) * Math.Max(Math.Abs(v) - hi, 0)).ToArray();
            }
            for (int j = 0; j < 7; j++) Assert.Equal(expected[j], ours[i * 7 + j], 12);
            Assert.True(ours.AsSpan(i * 7, 7).ToArray().Sum(Math.Abs) <= radius * (1 + 1e-12));
        }
        // A point inside the ball stays where it is.
        var inside = delta * (0.5 * radius / delta.abs().sum(1, keepdim: true));
        Assert.True(BitIdentical(RobustNode.Core.Engines.TorchEngine.Instance.Project(AttackNorm.One, inside, radius), inside));
    }
}
