using RobustNode.Core.Engines;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Engines;

/// <summary>The per-sample scaling kernel of the attacks' step sizes.</summary>
public sealed class ScaleRowsKernel
{
    public ScaleRowsKernel() => Initialise();

    [Theory]
    [InlineData(new long[] { 7, 3 })]
    [InlineData(new long[] { 5, 2, 3, 4 })]
    [InlineData(new long[] { 1, 9 })]
    public void Scaling_rows_multiplies_each_sample_by_its_factor(long[] shape)
    {
        using var generator = new Generator(3);
        var x = randn(shape, dtype: ScalarType.Float64, generator: generator);
        var factors = randn([shape[0]], dtype: ScalarType.Float64, generator: generator);
        var scaled = TorchEngine.Instance.ScaleRows(x, factors);
        for (long i = 0; i < shape[0]; i++)
            Assert.True(MaxAbsDifference(scaled[i], x[i].Times(factors[i].item<double>())) == 0);
    }

    [Fact]
    public void Factors_of_another_length_are_refused()
    {
        Assert.Throws<ArgumentException>(() => TorchEngine.Instance.ScaleRows(zeros(4, 3, dtype: ScalarType.Float64), zeros(3, dtype: ScalarType.Float64)));
        Assert.Throws<ArgumentException>(() => TorchEngine.Instance.ScaleRows(zeros(4, 3, dtype: ScalarType.Float64), zeros(4, 1, dtype: ScalarType.Float64)));
        var managed = new RobustNode.Core.Engines.Managed.ManagedEngine<double>();
        Assert.Throws<ArgumentException>(() => managed.ScaleRows(managed.FromTensor(zeros(4, 3, dtype: ScalarType.Float64)), managed.FromTensor(zeros(3, dtype: ScalarType.Float64))));
        Assert.Throws<ArgumentException>(() => managed.ScaleRows(managed.FromTensor(zeros(4, 3, dtype: ScalarType.Float64)), managed.FromTensor(zeros(4, 1, dtype: ScalarType.Float64))));
    }
}
