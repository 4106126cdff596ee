using RobustNode.Core.Fields;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// What a discrete adjoint keeps of a stage is enough to linearize the field there again: for the neural-ODE field,
/// σ(x) alone when σ' and σ'' are functions of σ (tanh, sigmoid, ReLU, identity), so that neither x nor σ'(x) is kept;
/// σ(x) and σ'(x) with x for softplus. A point restored from the saved values — without its state where the field says
/// so — gives every product of the sweeps bit for bit as the point computed from x.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class KeptStagesRestoreThePoint
{
    [Theory]
    [InlineData("tanh", 1, true)]
    [InlineData("sigmoid", 1, true)]
    [InlineData("relu", 1, true)]
    [InlineData("identity", 1, true)]
    [InlineData("softplus", 2, false)]
    public void A_point_restored_from_its_saved_values_gives_the_same_products(string activation, int saved, bool withoutState)
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 61, dim: 4, batch: 6, layers: 2, LossKind.CrossEntropy);
        var field = NeuralOdeField.Create(p.Weights, p.Biases, p.FinalTime, Activation.ByName[activation]).Ok();
        using var g = new Generator(7);
        var (x, v, s, m) = (randn([6, 4], dtype: float64, generator: g), randn([6, 4], dtype: float64, generator: g),
            randn([6, 4], dtype: float64, generator: g), randn([6, 4], dtype: float64, generator: g));

        var computed = field.Linearize(1, 0.5, x);
        Assert.Equal(saved, computed.SavedCount);
        Assert.Equal(withoutState, computed.RestoresWithoutState);
        var values = new Tensor[computed.SavedCount];
        computed.Save(values);
        var restored = field.Linearize(0, 0.0, randn([6, 4], dtype: float64, generator: g))
            .At(1, 0.5, withoutState ? null! : x, values);

        foreach (var (name, products) in new (string, Func<FieldLinearization<Tensor>, Tensor[]>)[]
        {
            ("g", point => [point.Value()]),
            ("g_x s", point => [point.Jvp(s)]),
            ("g_xᵀp, g_uᵀp", point => Products(point, c => [point.Vjp(v, c)])),
            ("second-order stage", point => Products(point, c =>
            {
                var first = LayerCotangent();
                var (x1, x2) = point.SecondOrderReverse(v, m, s, first, c);
                return [x1, x2, first[0], first[1]];
            })),
        })
        {
            var expected = products(computed);
            var actual = products(restored);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(expected[i].eq(actual[i]).all().item<bool>(), $"{activation}: {name}, value {i} differs");
        }
    }

    // A layer's rows of the control gradients (W_k [4, 4], b_k [4]), where a stage adds its control terms.
    private static FieldCotangent<Tensor> LayerCotangent()
    {
        var c = new FieldCotangent<Tensor>(2);
        (c[0], c[1]) = (zeros(4, 4, dtype: float64), zeros(4, dtype: float64));
        return c;
    }

    private static Tensor[] Products(FieldLinearization<Tensor> point, Func<FieldCotangent<Tensor>, Tensor[]> products)
    {
        var c = LayerCotangent();
        return [.. products(c), c[0], c[1]];
    }
}
