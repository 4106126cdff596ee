using LanguageExt;
using RobustNode.Training.Denoising;
using RobustNode.Training.Reconstruction;
using Xunit;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Tests.Denoising;

/// <summary>
/// The averagedness test: ‖Tx − Ty‖² ≤ ‖x − y‖² − (1 − α)/α ‖(I − T)x − (I − T)y‖² on random pairs accepts operators
/// that are α-averaged and refutes those that are not.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class AveragednessTests
{
    private static AveragednessCheck Check(Func<Tensor, Fin<Tensor>> op, double alpha)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Averagedness.RandomPairs([64, 1, 8, 8], seed: 11);
        return Averagedness.Check(op, alpha, x, y).Match(c => c, e => throw new InvalidOperationException(e.Message));
    }

    private static Denoiser Get(Fin<Denoiser> d) => d.Match(v => v, e => throw new InvalidOperationException(e.Message));

    [Fact]
    public void Soft_thresholding_is_half_averaged()
    {
        var soft = Get(Denoiser.SoftThreshold(0.3));
        var check = Check(soft.Apply, 0.5);
        Assert.True(check.Holds, $"{check}");
        Assert.True(check.SmallestAlpha <= 0.5 + 1e-9);
        Assert.True(check.LargestRatio <= 1 + 1e-12);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Scaled_identity_is_averaged_exactly_from_its_constant_on(double s)
    {
        var d = Get(Denoiser.ScaledIdentity(s));
        double alpha = (1 - s) / 2;
        Assert.Equal(alpha, (double)d.Averagedness);
        Assert.True(Check(d.Apply, alpha).Holds);
        var tighter = Check(d.Apply, alpha * 0.9);
        Assert.False(tighter.Holds);
        Assert.Equal(64, tighter.Violations);
        Assert.Equal(alpha, tighter.SmallestAlpha, 9);
    }

    [Fact]
    public void A_non_expansive_map_that_is_not_averaged_is_detected()
    {
        // T = −I keeps distances (non-expansive) but is α-averaged for no α < 1: (I − T) doubles every difference.
        var check = Check(x => FinSucc(x.neg()), 0.99);
        Assert.False(check.Holds);
        Assert.Equal(1.0, check.SmallestAlpha, 9);
        Assert.Equal(1.0, check.LargestRatio, 9);
    }

    [Fact]
    public void An_expansive_map_fails_even_non_expansiveness()
    {
        var check = Check(x => FinSucc(x.mul(1.5)), 1.0);
        Assert.False(check.Holds);
        Assert.True(double.IsPositiveInfinity(check.SmallestAlpha));
        Assert.Equal(1.5, check.LargestRatio, 9);
    }

    [Fact]
    public void The_plug_and_play_operator_of_averaged_pieces_is_averaged()
    {
        // T = D ∘ (I − γ∇f): D 1/2-averaged, the gradient step γL/2-averaged; their composition is
        // (α₁ + α₂ − 2α₁α₂)/(1 − α₁α₂)-averaged (Combettes & Yamada 2015, Proposition 2.5).
        using var scope = NewDisposeScope();
        var blur = GaussianBlur.Create(1.2).Match(b => b, e => throw new InvalidOperationException(e.Message));
        var problem = InverseProblem.Observe(blur, rand([1, 1, 8, 8], float64, generator: new Generator(4)), 0.01, 9)
            .Match(p => p, e => throw new InvalidOperationException(e.Message));
        var soft = Get(Denoiser.SoftThreshold(0.05));
        double gamma = 1.5, a1 = 0.5, a2 = (double)Averagedness.OfGradientStep(gamma, problem.Lipschitz);
        double alpha = Averagedness.Compose([a1, a2]);
        Assert.Equal(0.8, alpha, 12);
        Fin<Tensor> T(Tensor x) => soft.Apply(x - gamma * Observations(problem, x));
        Assert.True(Check(T, alpha).Holds);
    }

    [Fact]
    public void Composed_averagedness_follows_the_two_operator_rule()
    {
        Assert.Equal(0.5, Averagedness.Compose([0.5]), 12);
        Assert.Equal(2.0 / 3, Averagedness.Compose([0.5, 0.5]), 12);                 // two firmly non-expansive maps
        Assert.Equal(Averagedness.Compose([Averagedness.Compose([0.2, 0.3]), 0.4]), Averagedness.Compose([0.2, 0.3, 0.4]), 12);
        Assert.True(Averagedness.Compose(Enumerable.Repeat(0.1, 50)) < 1);
        Assert.True(Averagedness.OfGradientStep(2.0, 1.0).IsNone);
        Assert.Equal(0.45, (double)Averagedness.OfGradientStep(0.9, 1.0), 12);
    }

    // ∇f for a batch of pairs: the problem's observation broadcasts over the batch.
    private static Tensor Observations(InverseProblem problem, Tensor x) =>
        problem.Operator.Adjoint(problem.Operator.Apply(x) - problem.Observation);

    [Fact]
    public void Pairs_of_other_shapes_and_a_bad_alpha_are_refused()
    {
        using var scope = NewDisposeScope();
        Fin<Tensor> Id(Tensor x) => FinSucc(x.alias());
        Assert.Contains("alpha", Averagedness.Check(Id, 0, zeros(2, 1, 3, 3), zeros(2, 1, 3, 3)).Match(_ => "", e => e.Message));
        Assert.True(Averagedness.Check(Id, 0.5, zeros(2, 1, 3, 3), zeros(3, 1, 3, 3)).IsFail);
        Assert.True(Averagedness.Check(x => FinSucc(x.narrow(0, 0, 1)), 0.5, zeros(2, 1, 3, 3), zeros(2, 1, 3, 3)).IsFail);
    }
}
