using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using Xunit;

namespace RobustNode.Tests.Engines;

/// <summary>
/// The kernels split large operands into blocks fixed by the shapes alone and sum over the batch in a fixed order, so
/// engines with 1, 2 and 3 threads give bit-identical results.
/// </summary>
public sealed class ManagedResultsIgnoreThreadCount
{
    [Fact]
    public void One_two_and_three_threads_give_identical_bits()
    {
        SameBits<float>();
        SameBits<double>();
    }

    private static void SameBits<TScalar>()
        where TScalar : unmanaged, System.Numerics.IFloatingPointIeee754<TScalar>
    {
        const int batch = 4096, dim = 64;
        var random = new Random(3);
        double[] Normal(int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var engines = new[] { new ManagedEngine<TScalar>(1), new ManagedEngine<TScalar>(2), new ManagedEngine<TScalar>(3) };
        var e1 = engines[0];
        using var scope = e1.OpenScope();
        var x = e1.FromValues(Normal(batch * dim), default, batch, dim);
        var y = e1.FromValues(Normal(batch * dim), default, batch, dim);
        var w = e1.FromValues(Normal(dim * dim), default, dim, dim);
        var b = e1.FromValues(Normal(dim), default, dim);
        var labels = e1.FromValues(Enumerable.Range(0, batch).Select(i => (double)(i * 7 % dim)).ToArray(), default, batch);

        var results = engines.Select(e => new[]
        {
            e.Linear(x, w, b), e.MatMul(x, w), e.TransposedMatMul(x, y), e.SumRows(x),
            e.AddScaled(x, [0.1, -0.2, 0.3], [y, x, y]), e.LinearCombination([0.5, 0.25], [x, y]),
            e.Activate(Activation.Tanh, x), e.Activate(Activation.Softplus, x), e.ActivationDerivative(Activation.Softplus, x, x),
            e.CrossEntropy(x, labels), e.CrossEntropyGradient(x, labels), e.CrossEntropyHessianVectorProduct(x, y), e.Softmax(x),
            e.DualNormGradient(AttackNorm.Two, x), e.DualNormGradient(AttackNorm.One, x), e.Project(AttackNorm.One, x, 1.5),
            e.Project(AttackNorm.Two, x, 1.5),
        }.Select(e.ToArray).ToArray()).ToArray();

        for (int t = 1; t < engines.Length; t++)
            for (int k = 0; k < results[0].Length; k++)
                Assert.True(results[0][k].SequenceEqual(results[t][k]), $"{typeof(TScalar).Name}: kernel {k} differs with {t + 1} threads");
    }
}
