using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Losses;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>
/// GloRo's loss ℓ(z) = CE(τ[z, z_⊥], y), z_⊥ = max_{j≠y} (z_j + m_j): its values, gradient, Hessian-vector product and
/// gradient in the margins equal autograd through the definition on both engines; it is the cross-entropy of C + 1
/// classes, so a sample's loss is below log 2 only when z_y beats the raised logit (the certified ones); bad arguments are
/// named.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class BottomClassLossTests
{
    private const int Batch = 6, Classes = 4;

    private static (Tensor Z, long[] Labels, double[] Margins) Problem(ulong seed)
    {
        using var g = new Generator(seed);
        var z = 2 * randn([Batch, Classes], dtype: float64, generator: g);
        var labels = randint(0, Classes, [Batch], dtype: int64, generator: g).data<long>().ToArray();
        var margins = rand([Batch, Classes], dtype: float64, generator: g).data<double>().ToArray();
        return (z, labels, margins);
    }

    private static Tensor Definition(Tensor z, long[] labels, double[] margins, double temperature)
    {
        var onehot = nn.functional.one_hot(tensor(labels), Classes).to(float64);
        var raised = z + tensor(margins, dtype: float64).reshape(Batch, Classes);
        var bottom = (raised - 1e9 * onehot).max(1, keepdim: true).values;
        return nn.functional.cross_entropy(temperature * cat([z, bottom], 1), tensor(labels), reduction: nn.Reduction.None);
    }

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2, 4.0)]
    [InlineData(3, 0.3)]
    public void Values_gradients_and_the_Hessian_vector_product_equal_autograd_through_the_definition(ulong seed, double temperature)
    {
        using var scope = NewDisposeScope();
        var (z0, labels, margins) = Problem(seed);
        var loss = new BottomClassLoss<Tensor>(TorchEngine.Instance, labels, margins, Classes, temperature);
        using var enable = enable_grad();
        var z = z0.clone().requires_grad_(true);
        var perSample = Definition(z, labels, margins, temperature);
        var gradient = autograd.grad([perSample.sum()], [z], create_graph: true, retain_graph: true)[0];
        using var g = new Generator(seed + 10);
        var s = randn([Batch, Classes], dtype: float64, generator: g);
        var hvp = autograd.grad([(gradient * s).sum()], [z])[0].detach();

        Close.Equal(perSample.detach(), loss.PerSample(z0), 1e-13, "per-sample loss");
        Close.Equal(gradient.detach(), loss.Gradient(z0), 1e-13, "∇ℓ");
        Close.Equal(hvp, loss.HessianVectorProduct(z0, s), 1e-13, "∇²ℓ · s");

        // ∂ℓ/∂m: the same definition differentiated in the margins.
        var m = tensor(margins, dtype: float64).reshape(Batch, Classes).requires_grad_(true);
        var onehot = nn.functional.one_hot(tensor(labels), Classes).to(float64);
        var bottom = (z0 + m - 1e9 * onehot).max(1, keepdim: true).values;
        var byMargin = autograd.grad([nn.functional.cross_entropy(temperature * cat([z0, bottom], 1), tensor(labels), reduction: nn.Reduction.Sum)], [m])[0];
        Close.Equal(byMargin.detach(), tensor(loss.OffsetGradient(z0), dtype: float64).reshape(Batch, Classes), 1e-13, "∂ℓ/∂m");

        var rows = new long[] { 4, 1 };
        Close.Equal(perSample.detach().index_select(0, tensor(rows)), loss.Select(rows).PerSample(z0.index_select(0, tensor(rows))), 1e-13, "selected rows");
    }

    [Fact]
    public void The_managed_engine_gives_the_same_loss_and_gradient()
    {
        using var scope = NewDisposeScope();
        var (z, labels, margins) = Problem(5);
        var managed = new ManagedEngine<double>();
        using var managedScope = managed.OpenScope();
        var onManaged = new BottomClassLoss<ManagedTensor<double>>(managed, labels, margins, Classes, 2.0);
        var onTorch = new BottomClassLoss<Tensor>(TorchEngine.Instance, labels, margins, Classes, 2.0);
        var x = managed.FromTensor(z);
        Assert.Equal(onTorch.PerSample(z).data<double>().ToArray(), managed.ToArray(onManaged.PerSample(x)));
        Assert.Equal(onTorch.Gradient(z).data<double>().ToArray(), managed.ToArray(onManaged.Gradient(x)));
    }

    [Fact]
    public void A_sample_is_below_log_two_only_where_its_label_beats_the_raised_logit()
    {
        using var scope = NewDisposeScope();
        // Row 0: z_y = 3 beats every raised logit (1 + 1, 0 + 1); row 1: the raised logit 2 + 1.5 beats z_y = 3.
        var z = tensor(new[] { 3.0, 1.0, 0.0, 3.0, 2.0, 0.0 }, dtype: float64).reshape(2, 3);
        var loss = new BottomClassLoss<Tensor>(TorchEngine.Instance, [0, 0], [0, 1, 1, 0, 1.5, 0], 3, 50);
        var values = loss.PerSample(z).data<double>().ToArray();
        Assert.True(values[0] < Math.Log(2), $"certified sample: {values[0]}");
        Assert.True(values[1] > Math.Log(2), $"uncertified sample: {values[1]}");
    }

    [Fact]
    public void Bad_arguments_are_refused_naming_them()
    {
        var engine = TorchEngine.Instance;
        Assert.Contains("margins", Assert.Throws<ArgumentException>(() => new BottomClassLoss<Tensor>(engine, [0, 1], [0, 1, 2], 2, 1)).Message);
        Assert.Contains("label", Assert.Throws<ArgumentOutOfRangeException>(() => new BottomClassLoss<Tensor>(engine, [0, 2], [0, 0, 0, 0], 2, 1)).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new BottomClassLoss<Tensor>(engine, [0], [0, 0], 2, double.NaN)).Message);
        Assert.Contains("two classes", Assert.Throws<ArgumentOutOfRangeException>(() => new BottomClassLoss<Tensor>(engine, [0], [0], 1, 1)).Message);
    }
}
