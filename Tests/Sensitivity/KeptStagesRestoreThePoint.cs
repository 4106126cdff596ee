using RobustNode.Core.Fields;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// What a discrete adjoint keeps of a stage is enough to linearize the field there again. The neural-ODE and the
/// convolutional field keep σ(x) alone when σ' and σ'' are functions of σ (tanh, sigmoid, ReLU, identity), so that
/// neither x nor σ'(x) is kept; with softplus the neural-ODE field keeps x, σ(x) and σ'(x), the convolutional field x and
/// σ(x). A point restored from the saved values — without its state where the field says so — gives every product of
/// the sweeps bit for bit as the point computed from x.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class KeptStagesRestoreThePoint
{
    [Theory]
    [InlineData("node", "tanh", 1, true)]
    [InlineData("node", "sigmoid", 1, true)]
    [InlineData("node", "relu", 1, true)]
    [InlineData("node", "identity", 1, true)]
    [InlineData("node", "softplus", 2, false)]
    [InlineData("convolution", "tanh", 1, true)]
    [InlineData("convolution", "softplus", 1, false)]
    public void A_point_restored_from_its_saved_values_gives_the_same_products(string kind, string activation, int saved, bool withoutState)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        var sigma = Activation.ByName[activation];
        long[] shape = kind == "node" ? [6, 4] : [3, 2, 5, 5];
        IVectorField<Tensor> field = kind == "node"
            ? NeuralOdeField.Create(randn([2, 4, 4], dtype: float64, generator: g), randn([2, 4], dtype: float64, generator: g), 1.0, sigma).Ok()
            : ConvolutionField.Create(randn([2, 2, 2, 3, 3], dtype: float64, generator: g) * 0.4, randn([2, 2], dtype: float64, generator: g) * 0.1,
                5, 5, 1.0, sigma).Ok();
        var (x, v, s, m) = (randn(shape, dtype: float64, generator: g), randn(shape, dtype: float64, generator: g),
            randn(shape, dtype: float64, generator: g), randn(shape, dtype: float64, generator: g));

        var computed = field.Linearize(1, 0.5, x);
        Assert.Equal(saved, computed.SavedCount);
        Assert.Equal(withoutState, computed.RestoresWithoutState);
        var values = new Tensor[computed.SavedCount];
        computed.Save(values);
        var restored = field.Linearize(0, 0.0, randn(shape, dtype: float64, generator: g)).At(1, 0.5, withoutState ? null! : x, values);

        foreach (var (name, products) in new (string, Func<FieldLinearization<Tensor>, Tensor[]>)[]
        {
            ("g", point => [point.Value()]),
            ("g_x s", point => [point.Jvp(s)]),
            ("g_xᵀp, g_uᵀp", point => Products(field, point, c => [point.Vjp(v, c)])),
            ("second-order stage", point => Products(field, point, c =>
            {
                var first = LayerCotangent(field);
                var (x1, x2) = point.SecondOrderReverse(v, m, s, first, c);
                return [x1, x2, first[0], first[1]];
            })),
        })
        {
            var expected = products(computed);
            var actual = products(restored);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(expected[i].eq(actual[i]).all().item<bool>(), $"{kind}, {activation}: {name}, value {i} differs");
        }
    }

    // A layer's rows of the control gradients, where a stage adds its control terms.
    private static FieldCotangent<Tensor> LayerCotangent(IVectorField<Tensor> field)
    {
        var c = new FieldCotangent<Tensor>(field.Controls.Count);
        for (int j = 0; j < c.Count; j++) c[j] = zeros_like(field.Controls[j].Value[0]);
        return c;
    }

    private static Tensor[] Products(IVectorField<Tensor> field, FieldLinearization<Tensor> point, Func<FieldCotangent<Tensor>, Tensor[]> products)
    {
        var c = LayerCotangent(field);
        return [.. products(c), .. Enumerable.Range(0, c.Count).Select(j => c[j])];
    }
}
