using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using Xunit;
using static RobustNode.Tests.Networks.ConvolutionProblems;
using static TorchSharp.torch;

namespace RobustNode.Tests.Networks;

/// <summary>
/// A discrete adjoint's state-only reverse sweep before a second-order one keeps W ∗ᵀ p at every stage of a convolutional
/// field for the second-order sweep: from the same λ(T) that sweep equals the one that recomputes them, and from another
/// λ(T) it recomputes them (float64).
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class KeptTransposedConvolutionsLeaveTheSweepsUnchanged
{
    private static OdeBlock<Tensor> Block(string scheme)
    {
        manual_seed(31);
        var field = RandomField(layers: 3, channels: 3, size: 5);
        return OdeBlock.Create<Tensor>(field, SolverCatalog.Fixed(SolverCatalog.BuiltIn[scheme], 2));
    }

    private static SecondOrderReverseResult<Tensor> Sweeps(OdeBlock<Tensor> block, Tensor x0, Tensor sigma0, Tensor? keptFrom, Tensor lambdaT, Tensor muT)
    {
        using var forward = block.Forward(x0).Match(s => s, e => throw new InvalidOperationException(e.Message));
        if (keptFrom is not null)
        {
            var reverse = forward.ReverseBeforeSecondOrder(keptFrom).Match(r => r, e => throw new InvalidOperationException(e.Message));
            var plain = forward.Reverse(keptFrom, withControls: false).Match(r => r, e => throw new InvalidOperationException(e.Message));
            Assert.True(MaxRelative(reverse.Lambda0, plain.Lambda0) == 0, "the state-only reverse sweep's λ(0)");
            // The plain sweep above replaced nothing: keep again, as the augmented gradient does.
            forward.ReverseBeforeSecondOrder(keptFrom);
        }
        using var tangent = forward.Tangent(sigma0).Match(t => t, e => throw new InvalidOperationException(e.Message));
        return tangent.Reverse(lambdaT, muT).Match(r => r, e => throw new InvalidOperationException(e.Message));
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("rk4")]
    public void Second_order_sweep_from_kept_transposed_convolutions_equals_the_recomputing_one(string scheme)
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        var block = Block(scheme);
        var x0 = randn(4, 3, 5, 5, dtype: float64);
        var (sigma0, lambdaT, otherLambdaT, muT) = (randn_like(x0), randn_like(x0), randn_like(x0), randn_like(x0));

        foreach (var (keptFrom, lambda) in new[] { (lambdaT, lambdaT), (lambdaT, otherLambdaT) })
        {
            var expected = Sweeps(block, x0, sigma0, null, lambda, muT);
            // A copy: the kept values are matched to λ(T) by value, not by reference.
            var actual = Sweeps(block, x0, sigma0, keptFrom, lambda.clone(), muT);
            Assert.True(MaxRelative(actual.Lambda0, expected.Lambda0) < 1e-13);
            Assert.True(MaxRelative(actual.Mu0, expected.Mu0) < 1e-12, $"μ(0) off by {MaxRelative(actual.Mu0, expected.Mu0):E2}");
            for (int j = 0; j < 2; j++)
            {
                Assert.True(MaxRelative(actual.Controls[j], expected.Controls[j]) < 1e-12, $"first-order control {j}");
                Assert.True(MaxRelative(actual.SecondOrderControls[j], expected.SecondOrderControls[j]) < 1e-12,
                    $"second-order control {j} off by {MaxRelative(actual.SecondOrderControls[j], expected.SecondOrderControls[j]):E2}");
            }
        }
    }
}
