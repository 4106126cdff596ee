using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using Xunit;
using static RobustNode.Tests.Networks.ConvolutionProblems;
using static TorchSharp.torch;

namespace RobustNode.Tests.Networks;

/// <summary>
/// A discrete adjoint's state-only reverse sweep before a second-order one forms g_uᵀp of a convolutional field as it
/// goes and keeps each stage's p for the tangent sweep, which forms ∂ₓ(g_uᵀp)·s and releases p. The second-order sweep
/// takes those terms only where they hold — from the same λ(T), the first to ask, and the tangent terms only from the
/// tangent sweep that formed them — and forms them itself otherwise; either way it equals the sweep that forms them
/// all itself (float64). A field wrapper counts which products the sweeps ask for.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class PairedControlTermsAreUsedOnlyWhereTheyHold
{
    // Three layers of two steps each.
    private const int Steps = 6;

    private static (OdeBlock<Tensor> Block, Counts Counts, int Stages) Block(string scheme)
    {
        manual_seed(37);
        var field = RandomField(layers: 3, channels: 3, size: 5);
        var counts = new Counts();
        var solver = SolverCatalog.Fixed(SolverCatalog.BuiltIn[scheme], 2);
        return (OdeBlock.Create<Tensor>(new CountingField(field, counts), solver), counts, solver.Tableau.Stages);
    }

    private static void Equal(SecondOrderReverseResult<Tensor> actual, SecondOrderReverseResult<Tensor> expected, string what)
    {
        Assert.True(MaxRelative(actual.Lambda0, expected.Lambda0) < 1e-13, $"{what}: λ(0)");
        Assert.True(MaxRelative(actual.Mu0, expected.Mu0) < 1e-12, $"{what}: μ(0) off by {MaxRelative(actual.Mu0, expected.Mu0):E2}");
        for (int j = 0; j < 2; j++)
        {
            Assert.True(MaxRelative(actual.Controls[j], expected.Controls[j]) < 1e-12,
                $"{what}: first-order control {j} off by {MaxRelative(actual.Controls[j], expected.Controls[j]):E2}");
            Assert.True(MaxRelative(actual.SecondOrderControls[j], expected.SecondOrderControls[j]) < 1e-12,
                $"{what}: second-order control {j} off by {MaxRelative(actual.SecondOrderControls[j], expected.SecondOrderControls[j]):E2}");
        }
    }

    private static T Value<T>(LanguageExt.Fin<T> fin) => fin.Match(v => v, e => throw new InvalidOperationException(e.Message));

    // The sweeps with nothing kept: every term formed by the second-order stage.
    private static SecondOrderReverseResult<Tensor> Recomputed(OdeBlock<Tensor> block, Tensor x0, Tensor sigma0, Tensor lambdaT, Tensor muT)
    {
        using var forward = Value(block.Forward(x0));
        using var tangent = Value(forward.Tangent(sigma0));
        return Value(tangent.Reverse(lambdaT, muT));
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("rk4")]
    public void From_the_same_terminal_cotangent_the_paired_terms_are_taken_and_the_sweep_is_unchanged(string scheme)
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        var (block, counts, stages) = Block(scheme);
        var x0 = randn(4, 3, 5, 5, dtype: float64);
        var (sigma0, lambdaT, muT) = (randn_like(x0), randn_like(x0), randn_like(x0));
        var expected = Recomputed(block, x0, sigma0, lambdaT, muT);

        counts.Clear();
        using var forward = Value(block.Forward(x0));
        Value(forward.ReverseBeforeSecondOrder(lambdaT));
        using var tangent = Value(forward.Tangent(sigma0));
        // A copy: the kept values are matched to λ(T) by value, not by reference.
        var actual = Value(tangent.Reverse(lambdaT.clone(), muT));

        Equal(actual, expected, "kept");
        int stageCalls = Steps * stages;
        Assert.Equal(stageCalls, counts.ReversePaired);
        Assert.Equal(stageCalls, counts.TangentPaired);
        Assert.Equal(stageCalls, counts.Formed[(int)(PairedControlTerms.Cotangent | PairedControlTerms.Tangent)]);
        Assert.Equal(0, counts.Recomputed);
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("rk4")]
    public void From_another_terminal_cotangent_every_term_is_formed_again(string scheme)
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        var (block, counts, stages) = Block(scheme);
        var x0 = randn(4, 3, 5, 5, dtype: float64);
        var (sigma0, lambdaT, otherLambdaT, muT) = (randn_like(x0), randn_like(x0), randn_like(x0), randn_like(x0));
        var expected = Recomputed(block, x0, sigma0, otherLambdaT, muT);

        counts.Clear();
        using var forward = Value(block.Forward(x0));
        Value(forward.ReverseBeforeSecondOrder(lambdaT));
        using var tangent = Value(forward.Tangent(sigma0));
        var actual = Value(tangent.Reverse(otherLambdaT, muT));

        Equal(actual, expected, "other λ(T)");
        Assert.Equal(Steps * stages, counts.TangentPaired);
        Assert.Equal(Steps * stages, counts.Recomputed);
        Assert.Equal(0, counts.Formed.Sum());
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("rk4")]
    public void Only_the_tangent_sweep_that_formed_the_tangent_terms_takes_them_and_only_once(string scheme)
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        var (block, counts, stages) = Block(scheme);
        var x0 = randn(4, 3, 5, 5, dtype: float64);
        var (sigma0, otherSigma0, lambdaT, muT) = (randn_like(x0), randn_like(x0), randn_like(x0), randn_like(x0));
        var expected = Recomputed(block, x0, sigma0, lambdaT, muT);
        var expectedOther = Recomputed(block, x0, otherSigma0, lambdaT, muT);
        int stageCalls = Steps * stages;

        counts.Clear();
        using var forward = Value(block.Forward(x0));
        Value(forward.ReverseBeforeSecondOrder(lambdaT));
        using var first = Value(forward.Tangent(sigma0));
        // The second tangent sweep finds the cotangents taken: it forms no terms.
        using var second = Value(forward.Tangent(otherSigma0));
        Assert.Equal(stageCalls, counts.TangentPaired);

        // The first second-order sweep to ask takes the kept products and g_uᵀp, but not the first tangent sweep's terms.
        Equal(Value(second.Reverse(lambdaT, muT)), expectedOther, "second tangent sweep");
        Assert.Equal(stageCalls, counts.Formed[(int)PairedControlTerms.Cotangent]);
        // The tangent sweep that formed them is served no longer: it forms every term again, each time it is asked.
        Equal(Value(first.Reverse(lambdaT, muT)), expected, "first tangent sweep");
        Equal(Value(first.Reverse(lambdaT, muT)), expected, "first tangent sweep, again");
        Assert.Equal(2 * stageCalls, counts.Recomputed);
        Assert.Equal(stageCalls, counts.Formed.Sum());
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("rk4")]
    public void A_second_order_sweep_asked_twice_gives_the_same_gradients(string scheme)
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        var (block, _, _) = Block(scheme);
        var x0 = randn(4, 3, 5, 5, dtype: float64);
        var (sigma0, lambdaT, muT) = (randn_like(x0), randn_like(x0), randn_like(x0));
        var expected = Recomputed(block, x0, sigma0, lambdaT, muT);

        using var forward = Value(block.Forward(x0));
        Value(forward.ReverseBeforeSecondOrder(lambdaT));
        using var tangent = Value(forward.Tangent(sigma0));
        var once = Value(tangent.Reverse(lambdaT, muT));
        var twice = Value(tangent.Reverse(lambdaT, muT));

        Equal(once, expected, "first call");
        Equal(twice, expected, "second call");
        // The results of the first call are not the accumulators of the second.
        Equal(once, expected, "first call, after the second");
    }

    /// <summary>How often the sweeps asked a linearization for each product.</summary>
    private sealed class Counts
    {
        public int ReversePaired, TangentPaired, Recomputed;
        public readonly int[] Formed = new int[4];

        public void Clear()
        {
            (ReversePaired, TangentPaired, Recomputed) = (0, 0, 0);
            Array.Clear(Formed);
        }
    }

    /// <summary>The convolutional field, with its linearizations' products counted.</summary>
    private sealed class CountingField(IVectorField<Tensor> inner, Counts counts) : ForwardingField<Tensor>(inner)
    {
        public override IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values) => new CountingField(Inner.WithControls(values), counts);
        protected override FieldLinearization<Tensor> Wrap(FieldLinearization<Tensor> point) => new Point(point, counts);
    }

    private sealed class Point(FieldLinearization<Tensor> inner, Counts counts) : ForwardingLinearization<Tensor>(inner)
    {
        public override Tensor StateVjp(Tensor p, out Tensor product, FieldCotangent<Tensor> controls)
        {
            counts.ReversePaired++;
            return base.StateVjp(p, out product, controls);
        }

        public override Tensor Jvp(Tensor s, Tensor p, FieldCotangent<Tensor> controls)
        {
            counts.TangentPaired++;
            return base.Jvp(s, p, controls);
        }

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor>? first,
            FieldCotangent<Tensor> second)
        {
            counts.Recomputed++;
            return base.SecondOrderReverse(p, m, s, first, second);
        }

        public override (Tensor First, Tensor Second) SecondOrderReverse(Tensor p, Tensor m, Tensor s, FieldCotangent<Tensor> first,
            FieldCotangent<Tensor> second, Tensor product, PairedControlTerms formed)
        {
            counts.Formed[(int)formed]++;
            return base.SecondOrderReverse(p, m, s, first, second, product, formed);
        }
    }
}
