using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Sampling;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Tests.Attacks.Support;
using RobustNode.Training.Evaluation;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Attacks;

/// <summary>APGD and the Square attack: the ball, the box, linear models' closed-form worst cases, gradient masking.</summary>
public sealed class ApgdAndSquareTests(StandardNetworks networks) : IClassFixture<StandardNetworks>
{
    private static readonly TorchEngine E = TorchEngine.Instance;

    private static AttackNorm NormOf(string q) => AttackNorm.Parse(q)!;

    private static IAttack[] Attacks(double eps, AttackNorm norm, long seed, InputBox? box, bool fourClasses) =>
    [
        new Apgd(eps, norm, Iterations: 15, Restarts: 2, Seed: seed, Box: box),
        new Apgd(eps, norm, Iterations: 15, Loss: fourClasses ? ApgdLoss.TargetedDlr : ApgdLoss.TargetedMargin, TargetClasses: 3, Seed: seed, Box: box),
        new Square(eps, norm, Queries: 60, Restarts: 2, Seed: seed, Box: box),
    ];

    private static void AssertInBallAndBox(IAttack attack, Tensor x0, Tensor adversarial, double eps)
    {
        var delta = (adversarial - x0).flatten(1);
        var size = attack.Norm.Q == 2 ? delta.mul(delta).sum(1).sqrt() : delta.abs().amax([1]);
        Assert.True(size.max().item<double>() <= eps * (1 + 1e-12) + 1e-15, $"{attack}: ‖δ‖ = {size.max().item<double>():R} > ε = {eps}");
        if (attack.Box is { } b)
            Assert.True(adversarial.min().item<double>() >= b.Min && adversarial.max().item<double>() <= b.Max, $"{attack} left the box");
    }

    [Theory]
    [InlineData("inf", 0.05, 1)]
    [InlineData("inf", 0.4, 2)]
    [InlineData("2", 0.05, 3)]
    [InlineData("2", 0.4, 4)]
    [InlineData("inf", 2.5, 5)]
    [InlineData("2", 2.5, 6)]
    public void Perturbations_respect_the_norm_ball_and_the_box(string q, double eps, long seed)
    {
        var norm = NormOf(q);
        foreach (var (model, data, four) in new[] { (networks.MoonsModel, networks.Moons.Test, false), (networks.BlobsModel, networks.Blobs.Test, true) })
        {
            var box = new InputBox(-1.2, 1.6);
            var x0 = data.X.Clamped(box.Min, box.Max);
            var loss = CrossEntropyLoss.Create(data.Labels);
            foreach (var attack in Attacks(eps, norm, seed, null, four).Concat(Attacks(eps, norm, seed, box, four)))
                AssertInBallAndBox(attack, x0, Ok(attack.Perturb(model, x0, loss)), eps);
        }
    }

    [Theory]
    [InlineData("inf")]
    [InlineData("2")]
    public void Image_shaped_inputs_stay_in_the_ball_and_the_unit_box(string q)
    {
        var norm = NormOf(q);
        using var generator = new Generator(7);
        var model = new Network<Tensor>([new FlattenBlock<Tensor>(E, 2, 7, 7),
            LinearBlock.Create(randn([10, 98], dtype: ScalarType.Float64, generator: generator).Times(0.3), zeros(10, dtype: ScalarType.Float64))]);
        var x0 = rand([12, 2, 7, 7], dtype: ScalarType.Float64, generator: generator);
        var labels = Ok(Inference.Output(model, x0)).argmax(1);
        var loss = CrossEntropyLoss.Create(labels);
        double eps = norm.Q == 2 ? 1.5 : 0.2;
        int broken = 0;
        foreach (var attack in Attacks(eps, norm, 3, InputBox.Unit, fourClasses: true))
        {
            var adversarial = Ok(attack.Perturb(model, x0, loss));
            AssertInBallAndBox(attack, x0, adversarial, eps);
            broken += Ok(Inference.Output(model, adversarial)).argmax(1).ne(labels).sum().item<long>() > 0 ? 1 : 0;
        }
        Assert.Equal(3, broken);
    }

    [Fact]
    public void Zero_radius_attacks_change_nothing_and_seeds_reproduce()
    {
        var x0 = networks.Moons.Test.X;
        var loss = CrossEntropyLoss.Create(networks.Moons.Test.Labels);
        foreach (var attack in Attacks(0, AttackNorm.Infinity, 1, null, false))
            Assert.True(BitIdentical(Ok(attack.Perturb(networks.MoonsModel, x0, loss)), x0), $"{attack.Name} with ε = 0 moved the inputs");
        foreach (var attack in Attacks(0.3, AttackNorm.Two, 9, null, false))
        {
            var first = Ok(attack.Perturb(networks.MoonsModel, x0, loss));
            Assert.True(BitIdentical(first, Ok(attack.Perturb(networks.MoonsModel, x0, loss))), $"{attack.Name} is not reproducible from its seed");
            Assert.False(BitIdentical(first, Ok(attack.WithSeed(10).Perturb(networks.MoonsModel, x0, loss))), $"{attack.Name} ignores its seed");
        }
    }

    [Fact]
    public void Samples_misclassified_without_attack_are_returned_unchanged()
    {
        var x0 = networks.Moons.Test.X;
        var labels = networks.Moons.Test.Labels;
        var wrong = Ok(Inference.Output(networks.MoonsModel, x0)).argmax(1).ne(labels);
        Assert.True(wrong.sum().item<long>() > 0);
        foreach (var attack in Attacks(0.3, AttackNorm.Infinity, 1, null, false))
        {
            var adversarial = Ok(attack.Perturb(networks.MoonsModel, x0, CrossEntropyLoss.Create(labels)));
            var rows = wrong.nonzero().squeeze(1);
            Assert.True(MaxAbsDifference(adversarial.index_select(0, rows), x0.index_select(0, rows)) == 0, $"{attack.Name} moved a misclassified sample");
        }
    }

    [Fact]
    public void Invalid_settings_and_losses_are_errors_naming_the_problem()
    {
        var x0 = networks.Moons.Test.X;
        var loss = CrossEntropyLoss.Create(networks.Moons.Test.Labels);
        Assert.Contains("ℓ∞ or the ℓ2", Failure(new Apgd(0.1, AttackNorm.One).Perturb(networks.MoonsModel, x0, loss)).Message);
        Assert.Contains("ℓ∞ or the ℓ2", Failure(new Square(0.1, AttackNorm.One).Perturb(networks.MoonsModel, x0, loss)).Message);
        var many = Failure(new Apgd(-1, AttackNorm.Two, Iterations: 0, Restarts: 0).Perturb(networks.MoonsModel, x0, loss)).Message;
        foreach (var key in new[] { "epsilon", "iterations", "restarts" }) Assert.Contains(key, many);
        Assert.Contains("p_init", Failure(new Square(0.1, AttackNorm.Infinity, InitialFraction: 1.5).Perturb(networks.MoonsModel, x0, loss)).Message);
        Assert.Contains("four classes", Failure(new Apgd(0.1, AttackNorm.Infinity, Loss: ApgdLoss.TargetedDlr).Perturb(networks.MoonsModel, x0, loss)).Message);
        var squared = new SquaredErrorLoss<Tensor>(E, zeros(x0.shape[0], 2, dtype: ScalarType.Float64));
        Assert.Contains("class labels", Failure(new Square(0.1, AttackNorm.Infinity).Perturb(networks.MoonsModel, x0, squared)).Message);
    }

    // ---- Linear models: the worst case in closed form --------------------------------------------------------------

    /// <summary>A linear classifier z = W x + b with m classes on n features, and Gaussian inputs.</summary>
    private static (LinearBlock<Tensor> Model, Tensor X, Tensor Labels) Linear(int classes, int features, int count, long seed)
    {
        using var generator = new Generator((ulong)seed);
        var w = randn([classes, features], dtype: ScalarType.Float64, generator: generator);
        var b = randn([classes], dtype: ScalarType.Float64, generator: generator).Times(0.1);
        var model = LinearBlock.Create(w, b);
        var x = randn([count, features], dtype: ScalarType.Float64, generator: generator);
        return (model, x, Ok(Inference.Output(model, x)).argmax(1));
    }

    /// <summary>Per sample, min over j ≠ y of the worst margin (w_y − w_j)ᵀx + b_y − b_j − ε‖w_y − w_j‖_{q*} (negative: not robust).</summary>
    private static double[] WorstMargins(LinearBlock<Tensor> model, Tensor x, Tensor labels, double eps, AttackNorm norm)
    {
        var z = Ok(Inference.Output(model, x));
        var w = model.Weight;
        int m = (int)w.shape[0];
        var y = labels.data<long>().ToArray();
        var result = new double[y.Length];
        for (int i = 0; i < y.Length; i++)
        {
            double worst = double.PositiveInfinity;
            for (int j = 0; j < m; j++)
            {
                if (j == y[i]) continue;
                var difference = (w[y[i]] - w[j]).view(1, -1);
                double dual = E.DualNorm(norm, difference).item<double>();
                worst = Math.Min(worst, z[i, y[i]].item<double>() - z[i, j].item<double>() - eps * dual);
            }
            result[i] = worst;
        }
        return result;
    }

    [Theory]
    [InlineData("inf")]
    [InlineData("2")]
    public void On_a_two_class_linear_model_the_attacks_reach_the_closed_form_worst_case(string q)
    {
        var norm = NormOf(q);
        var (model, x, labels) = Linear(2, 6, 200, 31);
        const double eps = 0.4;
        var optimum = WorstMargins(model, x, labels, eps, norm);
        var clean = WorstMargins(model, x, labels, 0, norm);
        int robust = optimum.Count(v => v > 0);
        Assert.InRange(robust, 40, 160);
        var loss = CrossEntropyLoss.Create(labels);
        var attacks = new List<IAttack>
        {
            new Fgsm(eps, norm),
            new Apgd(eps, norm, Iterations: 20, Seed: 2), new Apgd(eps, norm, Iterations: 20, Loss: ApgdLoss.TargetedMargin, Seed: 2),
        };
        if (double.IsPositiveInfinity(norm.Q)) attacks.Add(new Square(eps, norm, Queries: 300, Seed: 2));
        // PGD's fixed ℓ2 steps from a random start only approach the optimal direction; its ℓ∞ sign steps reach the vertex.
        if (double.IsPositiveInfinity(norm.Q)) attacks.Add(Pgd.Madry(eps, norm, steps: 20, seed: 2));
        foreach (var attack in attacks)
        {
            var reached = WorstMargins(model, Ok(attack.Perturb(model, x, loss)), labels, 0, norm);
            for (int i = 0; i < optimum.Length; i++)
            {
                if (Math.Abs(optimum[i]) < 1e-6) continue;
                if (optimum[i] < 0) Assert.True(reached[i] < 0, $"{attack.Name}: sample {i} is not robust (worst margin {optimum[i]:G4}) but the attack left margin {reached[i]:G4}");
                else
                    Assert.True(Math.Abs(reached[i] - optimum[i]) < 1e-9, $"{attack.Name}: sample {i} reached margin {reached[i]:R}, the worst case is {optimum[i]:R}");
            }
        }
    }

    [Fact]
    public void On_a_linear_model_of_images_the_two_norm_square_attack_approaches_the_closed_form_worst_case()
    {
        // Proposals move mass between windows and add bumps of fixed shape, so the search approaches the optimal
        // direction −(w_y − w_o)/‖w_y − w_o‖ through many overlapping windows, slowly: AutoAttack's square.py covers about
        // 60 % of the way to the worst case in 1000 queries on a model of this kind (drawing one window per batch).
        using var generator = new Generator(5);
        var linear = LinearBlock.Create(randn([2, 100], dtype: ScalarType.Float64, generator: generator).Times(0.1), zeros(2, dtype: ScalarType.Float64));
        var model = new Network<Tensor>([new FlattenBlock<Tensor>(E, 1, 10, 10), linear]);
        var x = randn([60, 1, 10, 10], dtype: ScalarType.Float64, generator: generator);
        var labels = Ok(Inference.Output(model, x)).argmax(1);
        const double eps = 1.0;
        var flat = x.flatten(1);
        var optimum = WorstMargins(linear, flat, labels, eps, AttackNorm.Two);
        var clean = WorstMargins(linear, flat, labels, 0, AttackNorm.Two);
        var reached = WorstMargins(linear, Ok(new Square(eps, AttackNorm.Two, Queries: 1000, Seed: 3).Perturb(model, x, CrossEntropyLoss.Create(labels))).flatten(1), labels, 0, AttackNorm.Two);
        double share = Enumerable.Range(0, 60).Where(i => optimum[i] > 0).Average(i => (clean[i] - reached[i]) / (clean[i] - optimum[i]));
        var notRobust = Enumerable.Range(0, 60).Where(i => optimum[i] < 0).ToArray();
        int broken = notRobust.Count(i => reached[i] < 0);
        Assert.True(share > 0.65, $"the search covered {share:P1} of the way to the worst case on average");
        Assert.True(broken >= 0.7 * notRobust.Length, $"it broke {broken} of the {notRobust.Length} samples that are not robust");
        Assert.True(Enumerable.Range(0, 60).All(i => reached[i] >= optimum[i] - 1e-9), "a margin fell below the closed-form worst case");
    }

    [Theory]
    [InlineData("inf")]
    [InlineData("2")]
    public void On_a_multiclass_linear_model_the_attacks_find_exactly_the_samples_that_are_not_robust(string q)
    {
        var norm = NormOf(q);
        var (model, x, labels) = Linear(5, 8, 300, 41);
        double eps = norm.Q == 2 ? 0.5 : 0.2;
        var optimum = WorstMargins(model, x, labels, eps, norm);
        var loss = CrossEntropyLoss.Create(labels);
        var keep = Enumerable.Range(0, optimum.Length).Where(i => Math.Abs(optimum[i]) > 1e-6).ToArray();
        var expected = keep.Select(i => optimum[i] > 0).ToArray();
        Assert.InRange(expected.Count(r => r), 30, 270);
        // The targeted runs aim at every other class in turn, so they find each sample's nearest wrong class; cross-entropy
        // pulls towards all classes at once and may miss a few (why AutoAttack runs both).
        var targeted = new Apgd(eps, norm, Iterations: 30, Loss: ApgdLoss.TargetedDlr, TargetClasses: 4, Seed: 2);
        var crossEntropy = new Apgd(eps, norm, Iterations: 30, Seed: 2);
        bool[] Withstand(IAttack attack)
        {
            var margins = WorstMargins(model, Ok(attack.Perturb(model, x, loss)), labels, 0, norm);
            return keep.Select(i => margins[i] > 0).ToArray();
        }
        var byTargets = Withstand(targeted);
        var byCrossEntropy = Withstand(crossEntropy);
        Assert.True(expected.SequenceEqual(byTargets), $"apgd-dlr: {byTargets.Count(r => r)} samples withstand it, {expected.Count(r => r)} are robust in closed form");
        Assert.True(byCrossEntropy.Zip(expected).All(p => p.Item1 || !p.Item2), "apgd-ce broke a sample that is robust in closed form");
        Assert.True(byCrossEntropy.Count(r => r) - expected.Count(r => r) <= expected.Length / 20, "apgd-ce missed more than 5 % of the samples");
        if (double.IsPositiveInfinity(norm.Q))
        {
            // The margin min_j (z_y − z_j) is concave, so its minimum over the ball is at a vertex, which is where Square's ℓ∞
            // proposals go; flipping one window at a time is a local search, though, and may stop at a vertex that is not the best.
            var bySquare = Withstand(new Square(eps, norm, Queries: 500, Seed: 2));
            Assert.True(bySquare.Zip(expected).All(p => p.Item1 || !p.Item2), "square broke a sample that is robust in closed form");
            Assert.True(bySquare.Count(r => r) - expected.Count(r => r) <= expected.Length / 50, $"square: {bySquare.Count(r => r)} samples withstand it, {expected.Count(r => r)} are robust in closed form");
        }
    }

    // ---- Gradient masking ---------------------------------------------------------------------------------------

    [Fact]
    public void Square_needs_no_gradient_and_succeeds_where_pgd_fails_on_a_model_whose_gradients_are_zero()
    {
        var masked = new GradientMaskingBlock<Tensor>(networks.MoonsModel);
        var test = networks.Moons.Test;
        const double eps = 0.3;
        var square = new Square(eps, AttackNorm.Infinity, Queries: 200, Seed: 1);
        var onMasked = Ok(Robustness.CorrectUnderAttack(masked, test, square));
        Assert.Equal(0, masked.Sweeps);
        Assert.Equal(Ok(Robustness.CorrectUnderAttack(networks.MoonsModel, test, square)), onMasked);
        double clean = Ok(Classification.Accuracy(networks.MoonsModel, test));
        double pgd = Ok(Robustness.AccuracyUnderAttack(masked, test, Pgd.Madry(eps, AttackNorm.Infinity, steps: 20, seed: 1)));
        double apgd = Ok(Robustness.AccuracyUnderAttack(masked, test, new Apgd(eps, AttackNorm.Infinity, Iterations: 20, Seed: 1)));
        double fooledBySquare = onMasked.Count(c => !c) / (double)test.Count;
        Assert.True(masked.Sweeps > 0);
        Assert.True(1 - fooledBySquare < pgd - 0.15, $"Square leaves {1 - fooledBySquare:P1}, PGD on the masked model {pgd:P1} (clean {clean:P1})");
        Assert.True(1 - fooledBySquare < apgd - 0.15, $"Square leaves {1 - fooledBySquare:P1}, APGD on the masked model {apgd:P1}");
    }
}
