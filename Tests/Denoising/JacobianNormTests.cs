using LanguageExt;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Denoising;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Denoising;

/// <summary>The Jacobian's spectral norm by power iteration with the blocks' tangent and reverse sweeps.</summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class JacobianNormTests
{
    private static T Get<T>(Fin<T> value) => value.Match(v => v, e => throw new InvalidOperationException(e.Message));

    [Fact]
    public void The_jacobian_norm_of_an_affine_map_is_its_largest_singular_value()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(4);
        var w = randn([5, 5], float64, generator: generator);
        var network = SkipConnectionBlock.Around(LinearBlock.Create(w, zeros(5, float64)), -1);   // x ↦ x − W x, J = I − W
        var expected = linalg.svdvals(eye(5, dtype: float64) - w)[0].item<double>();

        var estimates = Get(JacobianNorm.Estimate(network, randn([3, 5], float64, generator: generator), iterations: 200, seed: 1));

        Assert.Equal(3, estimates.Length);
        Assert.All(estimates, e => Assert.Equal(expected, e, 8));
    }

    [Fact]
    public void Each_sample_gets_its_own_estimate_through_a_nonlinear_network()
    {
        using var scope = NewDisposeScope();
        var network = Get(new ResidualCnn(Width: 3, Depth: 3).Build(2, ScalarType.Float64));
        var generator = new Generator(6);
        var x = rand([2, 1, 6, 6], float64, generator: generator);

        var both = Get(JacobianNorm.Estimate(network, x, 100, seed: 3));
        var first = Get(JacobianNorm.Estimate(network, x.narrow(0, 0, 1), 100, seed: 3));

        Assert.Equal(first[0], both[0], 3);   // the same start for sample 0; power iteration converges slowly when singular values are close
        // A lower bound of the Lipschitz constant: no pair of nearby points is stretched by more (up to second order).
        var v = randn([1, 1, 6, 6], float64, generator: generator) * 1e-6;
        var stretch = ((Get(Inference.Output(network, x.narrow(0, 0, 1) + v)) - Get(Inference.Output(network, x.narrow(0, 0, 1)))).norm() / v.norm()).item<double>();
        Assert.True(stretch <= first[0] * (1 + 1e-4), $"{stretch} > {first[0]}");
        Assert.True(JacobianNorm.Estimate(network, x, 0).IsFail);
    }
}
