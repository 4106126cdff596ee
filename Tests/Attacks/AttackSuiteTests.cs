using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Tests.Attacks.Support;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Attacks;

/// <summary>
/// Robust accuracy as the worst case per sample over an attack suite, the covering radius, and the sanity checks: on
/// hand-made outcomes, where every number is known, and on a trained network and the same network with its gradients
/// hidden, where the checks must tell the two apart.
/// </summary>
public sealed class AttackSuiteTests(StandardNetworks networks) : IClassFixture<StandardNetworks>
{
    private static AttackOutcome Outcome(string name, double[] epsilons, params bool[][] correct) => new(name, false, epsilons, correct);

    // ---- The worst case per sample ---------------------------------------------------------------------------------

    [Fact]
    public void A_sample_is_robust_only_when_no_attack_breaks_it_at_that_radius_or_any_smaller_one()
    {
        // Radii out of order on purpose; four samples: 0 broken by A from 0.1 on (B misses it at 0.2), 1 broken by B at 0.2
        // only, 2 misclassified without attack, 3 withstands everything.
        double[] epsilons = [0.1, 0, 0.2];
        bool[] clean = [true, true, false, true];
        var a = Outcome("a", epsilons, [false, true, false, true], [true, true, false, true], [false, true, false, true]);
        var b = Outcome("b", epsilons, [true, true, false, true], [true, true, false, true], [true, false, false, true]);
        var worst = WorstCase.Of(clean, [a, b], epsilons, 4);
        Assert.Equal([0.5, 0.75, 0.25], worst.Accuracies);
        Assert.Equal([false, true, false, true], worst.Correct[0]);
        Assert.Equal([false, false, false, true], worst.Correct[2]);
        // Never above any single attack, at any radius.
        for (int j = 0; j < epsilons.Length; j++)
            Assert.True(worst.Accuracies[j] <= Math.Min(a.Accuracies[j], b.Accuracies[j]));
    }

    [Fact]
    public void A_sample_broken_at_a_smaller_radius_stays_broken_even_when_the_attack_misses_it_at_a_larger_one()
    {
        double[] epsilons = [0, 0.1, 0.2];
        var only = Outcome("a", epsilons, [true, true], [false, true], [true, true]);
        var worst = WorstCase.Of([true, true], [only], epsilons, 2);
        Assert.Equal([1.0, 0.5, 0.5], worst.Accuracies);
    }

    [Fact]
    public void The_worst_case_is_measured_on_the_samples_every_attack_saw()
    {
        double[] epsilons = [0.1];
        var all = Outcome("all", epsilons, [true, true, true, false]);
        var firstTwo = Outcome("first-two", epsilons, [false, true]);
        var worst = WorstCase.Of([true, true, true, true], [all, firstTwo], epsilons, 2);
        Assert.Equal(2, worst.Samples);
        Assert.Equal([0.5], worst.Accuracies);
    }

    // ---- The covering radius -----------------------------------------------------------------------------------------

    [Fact]
    public void The_covering_radius_is_the_diameter_of_the_box_or_of_the_data_in_the_attack_norm()
    {
        var data = Ok(Dataset.FromArrays(new double[,] { { 0, 1, 5 }, { 3, -1, 5 }, { 1, 0, 5 } }, [0, 1, 0], 2, "three"));
        var box = new InputBox(0, 1);
        Assert.Equal(1, CoveringRadius.Of(AttackNorm.Infinity, data, box));
        Assert.Equal(Math.Sqrt(3), CoveringRadius.Of(AttackNorm.Two, data, box), 12);
        Assert.Equal(3, CoveringRadius.Of(AttackNorm.One, data, box));
        // Without a box: the widths of the data's bounding box, 3, 2 and 0.
        Assert.Equal(3, CoveringRadius.Of(AttackNorm.Infinity, data, null));
        Assert.Equal(Math.Sqrt(13), CoveringRadius.Of(AttackNorm.Two, data, null), 12);
        Assert.Equal(5, CoveringRadius.Of(AttackNorm.One, data, null));
    }

    [Fact]
    public void At_the_covering_radius_the_worst_case_must_fall_to_the_most_frequent_class()
    {
        bool[] clean = [true, true, true, true];
        var drops = CoveringOutcome.Of(2, clean, [("a", [false, true, false, true]), ("b", [true, false, false, true])], [3, 1]);
        Assert.Equal(0.25, drops.WorstCase);
        Assert.Equal(0.75, drops.Chance);
        Assert.True(drops.Drops);
        var stays = CoveringOutcome.Of(2, clean, [("a", [true, true, true, true])], [2, 2]);
        Assert.Equal(1, stays.WorstCase);
        Assert.False(stays.Drops);
    }

    // ---- Sanity checks in words --------------------------------------------------------------------------------------

    [Fact]
    public void Accuracy_that_rises_with_the_radius_beyond_sampling_noise_is_a_warning_naming_the_attack_and_radius()
    {
        double[] epsilons = [0.1, 0.2];
        var clean = Enumerable.Repeat(true, 40).ToArray();
        // 20 samples broken at 0.1 withstand 0.2: an attack failing at the larger radius.
        var rising = Outcome("pgd20-inf", epsilons, Enumerable.Range(0, 40).Select(i => i >= 20).ToArray(), clean);
        var result = new SuiteResult(clean, [rising], WorstCase.Of(clean, [rising], epsilons, 40), null);
        var warning = Assert.Single(SanityChecks.Of(result, "inf", ""), f => !f.Passed);
        Assert.Equal(SanityCheck.Monotone, warning.Check);
        Assert.Equal("pgd20-inf", warning.Attack);
        Assert.Equal(0.2, warning.Epsilon);
        Assert.Contains("accuracy rises from 50.0 % at ε = 0.1 to 100.0 % at ε = 0.2", warning.Message);

        // One sample the other way is sampling noise, not a warning.
        var noisy = Outcome("pgd20-inf", epsilons, Enumerable.Range(0, 40).Select(i => i != 0).ToArray(), clean);
        var quiet = new SuiteResult(clean, [noisy], WorstCase.Of(clean, [noisy], epsilons, 40), null);
        Assert.All(SanityChecks.Of(quiet, "inf", "").Where(f => f.Check == SanityCheck.Monotone), f => Assert.True(f.Passed));
    }

    [Fact]
    public void A_model_that_survives_the_covering_radius_is_reported_as_likely_masking_its_gradients()
    {
        double[] epsilons = [0.1];
        var clean = Enumerable.Repeat(true, 10).ToArray();
        var untouched = Outcome("pgd20-inf", epsilons, clean);
        var covering = CoveringOutcome.Of(3, clean, [("pgd20-inf", clean)], [5, 5]);
        var result = new SuiteResult(clean, [untouched], WorstCase.Of(clean, [untouched], epsilons, 10), covering);
        var warning = Assert.Single(SanityChecks.Of(result, "inf", "the input box [0, 1]"), f => f.Check == SanityCheck.CoveringRadius);
        Assert.False(warning.Passed);
        Assert.Contains("ℓ∞ diameter of the input box [0, 1]", warning.Message);
        Assert.Contains("still leaves 100.0 % of 10 samples correct, above chance (50.0 %", warning.Message);
        Assert.Contains("the model probably masks its gradients", warning.Message);
    }

    [Fact]
    public void A_gradient_free_attack_that_beats_the_gradient_based_ones_is_a_warning()
    {
        double[] epsilons = [0.2];
        var clean = Enumerable.Repeat(true, 30).ToArray();
        var pgd = Outcome("pgd20-inf", epsilons, clean);
        var square = new AttackOutcome("square-inf", true, epsilons, [Enumerable.Range(0, 30).Select(i => i < 10).ToArray()]);
        var result = new SuiteResult(clean, [pgd, square], WorstCase.Of(clean, [pgd, square], epsilons, 30), null);
        var warning = Assert.Single(SanityChecks.Of(result, "inf", ""), f => f.Check == SanityCheck.GradientFreeGap);
        Assert.False(warning.Passed);
        Assert.Equal("square-inf", warning.Attack);
        Assert.Contains("it breaks 20 samples that every gradient-based attack misses", warning.Message);
    }

    // ---- The suite on trained networks -------------------------------------------------------------------------------

    private static double Covering(Dataset test) => CoveringRadius.Of(AttackNorm.Infinity, test, null);

    [Fact]
    public void On_a_standard_network_every_check_passes_and_the_covering_radius_leaves_chance_at_most()
    {
        var test = networks.Moons.Test;
        SuiteAttack[] suite =
        [
            new(AttackFamily.Fgsm(AttackNorm.Infinity)), new(AttackFamily.Pgd(AttackNorm.Infinity, steps: 20)),
            new(AttackFamily.Apgd(AttackNorm.Infinity, iterations: 20)), new(AttackFamily.Square(AttackNorm.Infinity, queries: 100)),
        ];
        var result = Ok(AttackSuite.Evaluate(networks.MoonsModel, test, suite, [0, 0.1, 0.2], coveringRadius: Covering(test)));
        var covering = result.Covering!;
        Assert.True(covering.Drops, $"worst case {covering.WorstCase} at the covering radius, chance {covering.Chance}");
        Assert.All(SanityChecks.Of(result, "inf", "the test data's bounding box"), f => Assert.True(f.Passed, f.Message));
        for (int j = 0; j < 3; j++)
            Assert.True(result.WorstCase.Accuracies[j] <= result.Attacks.Min(a => a.Accuracies[j]));
    }

    [Fact]
    public void On_a_network_that_hides_its_gradients_the_report_says_so_and_square_exposes_it()
    {
        var test = networks.Moons.Test;
        var masked = new GradientMaskingBlock<Tensor>(networks.MoonsModel);
        SuiteAttack[] gradientBased = [new(AttackFamily.Fgsm(AttackNorm.Infinity)), new(AttackFamily.Pgd(AttackNorm.Infinity, steps: 20, randomStart: false))];
        var blind = Ok(AttackSuite.Evaluate(masked, test, gradientBased, [0, 0.3], coveringRadius: Covering(test)));
        // Zero gradients: FGSM and PGD (from the sample itself) stand still, so the model looks robust
        // even where every point can be moved onto every other.
        Assert.False(blind.Covering!.Drops);
        var warning = Assert.Single(SanityChecks.Of(blind, "inf", "the test data's bounding box"), f => f.Check == SanityCheck.CoveringRadius);
        Assert.False(warning.Passed);
        Assert.Contains("masks its gradients", warning.Message);

        SuiteAttack[] withSquare = [.. gradientBased, new(AttackFamily.Square(AttackNorm.Infinity, queries: 200))];
        var exposed = Ok(AttackSuite.Evaluate(masked, test, withSquare, [0, 0.3], coveringRadius: Covering(test)));
        Assert.True(exposed.Covering!.Drops, $"worst case {exposed.Covering.WorstCase}, chance {exposed.Covering.Chance}");
        var findings = SanityChecks.Of(exposed, "inf", "the test data's bounding box");
        Assert.Contains(findings, f => f is { Check: SanityCheck.GradientFreeGap, Passed: false, Attack: "square-inf", Epsilon: 0.3 });
        Assert.True(exposed.WorstCase.Accuracies[1] < blind.WorstCase.Accuracies[1] - 0.15);
    }
}
