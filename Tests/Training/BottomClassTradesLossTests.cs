using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Losses;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>
/// GloRo's TRADES loss ℓ(z) = CE(τz, y) + λ KL([softmax(τz), 0] ‖ softmax(τ[z, z_⊥])), z_⊥ = max_{j≠ŷ} (z_j + M_ŷj):
/// its values, gradient, Hessian-vector product and gradient in the margins equal autograd through the definition; the
/// divergence is −log(1 − P_⊥); at λ = 0 it is the cross-entropy; both engines agree; bad arguments are named.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class BottomClassTradesLossTests
{
    private const int Batch = 6, Classes = 4;

    private static (Tensor Z, long[] Labels, double[] Margins) Problem(ulong seed)
    {
        using var g = new Generator(seed);
        var z = 2 * randn([Batch, Classes], dtype: float64, generator: g);
        var labels = randint(0, Classes, [Batch], dtype: int64, generator: g).data<long>().ToArray();
        var margins = rand([Classes, Classes], dtype: float64, generator: g).data<double>().ToArray();
        return (z, labels, margins);
    }

    // The definition, written with the divergence itself; M enters through the rows of the predicted classes.
    private static Tensor Definition(Tensor z, Tensor margins, long[] labels, double temperature, double weight)
    {
        var prediction = z.detach().argmax(1);
        var onehot = nn.functional.one_hot(prediction, Classes).to(float64);
        var raised = z + margins.index_select(0, prediction);
        var bottom = (raised - 1e9 * onehot).max(1, keepdim: true).values;
        var clean = nn.functional.log_softmax(temperature * z, 1);
        var full = nn.functional.log_softmax(temperature * cat([z, bottom], 1), 1).narrow(1, 0, Classes);
        var divergence = (clean.exp() * (clean - full)).sum(1);
        return nn.functional.cross_entropy(temperature * z, tensor(labels), reduction: nn.Reduction.None) + weight * divergence;
    }

    [Theory]
    [InlineData(1, 1.0, 1.5)]
    [InlineData(2, 4.0, 1.5)]
    [InlineData(3, 0.3, 0.7)]
    [InlineData(4, 2.0, 6.0)]
    public void Values_gradients_and_the_Hessian_vector_product_equal_autograd_through_the_definition(ulong seed, double temperature, double weight)
    {
        using var scope = NewDisposeScope();
        var (z0, labels, margins) = Problem(seed);
        var loss = new BottomClassTradesLoss<Tensor>(TorchEngine.Instance, labels, margins, Classes, temperature, weight);
        using var enable = enable_grad();
        var z = z0.clone().requires_grad_(true);
        var m = tensor(margins, dtype: float64).reshape(Classes, Classes).requires_grad_(true);
        var perSample = Definition(z, m, labels, temperature, weight);
        var gradient = autograd.grad([perSample.sum()], [z], create_graph: true, retain_graph: true)[0];
        using var g = new Generator(seed + 10);
        var s = randn([Batch, Classes], dtype: float64, generator: g);
        var hvp = autograd.grad([(gradient * s).sum()], [z], retain_graph: true)[0].detach();
        var byMargin = autograd.grad([perSample.sum()], [m])[0].detach();

        Close.Equal(perSample.detach(), loss.PerSample(z0), 1e-13, "per-sample loss");
        Close.Equal(gradient.detach(), loss.Gradient(z0), 1e-13, "∇ℓ");
        Close.Equal(hvp, loss.HessianVectorProduct(z0, s), 1e-13, "∇²ℓ · s");

        // ∂ℓ/∂M: each sample's row, gathered at its predicted class.
        var (rows, predictions) = loss.MarginGradient(z0);
        Assert.Equal(z0.argmax(1).data<long>().ToArray().Select(p => (int)p), predictions);
        var gathered = new double[Classes * Classes];
        for (int i = 0; i < Batch; i++)
            for (int j = 0; j < Classes; j++) gathered[predictions[i] * Classes + j] += rows[i * Classes + j];
        Close.Equal(byMargin, tensor(gathered, dtype: float64).reshape(Classes, Classes), 1e-13, "∂ℓ/∂M");

        var selected = new long[] { 4, 1 };
        Close.Equal(perSample.detach().index_select(0, tensor(selected)), loss.Select(selected).PerSample(z0.index_select(0, tensor(selected))), 1e-13, "selected rows");
    }

    [Fact]
    public void The_divergence_is_minus_log_one_minus_the_bottom_class_probability_and_vanishes_with_lambda()
    {
        using var scope = NewDisposeScope();
        var (z, labels, margins) = Problem(7);
        const double temperature = 2;
        var crossEntropy = nn.functional.cross_entropy(temperature * z, tensor(labels), reduction: nn.Reduction.None);
        var plain = new BottomClassTradesLoss<Tensor>(TorchEngine.Instance, labels, margins, Classes, temperature, 0);
        Close.Equal(crossEntropy, plain.PerSample(z), 1e-14, "λ = 0: the cross-entropy");

        var trades = new BottomClassTradesLoss<Tensor>(TorchEngine.Instance, labels, margins, Classes, temperature, 1);
        var prediction = z.argmax(1);
        var onehot = nn.functional.one_hot(prediction, Classes).to(float64);
        var raised = z + tensor(margins, dtype: float64).reshape(Classes, Classes).index_select(0, prediction);
        var bottom = (raised - 1e9 * onehot).max(1, keepdim: true).values;
        var bottomProbability = nn.functional.softmax(temperature * cat([z, bottom], 1), 1).select(1, Classes);
        Close.Equal(-(1 - bottomProbability).log(), trades.PerSample(z) - crossEntropy, 1e-13, "KL = −log(1 − P_⊥)");
    }

    [Fact]
    public void The_bottom_class_is_raised_against_the_prediction_not_the_label()
    {
        using var scope = NewDisposeScope();
        // Label 0, prediction 1: ⊥ = max(z_0 + M_10, z_2 + M_12) = max(1 + 0.5, 0 + 3) = 3.
        var z = tensor(new[] { 1.0, 2.0, 0.0 }, dtype: float64).reshape(1, 3);
        double[] margins = [0, 9, 9, 0.5, 0, 3, 9, 9, 0];
        var loss = new BottomClassTradesLoss<Tensor>(TorchEngine.Instance, [0], margins, 3, 1, 1);
        double logSumExp = Math.Log(Math.Exp(1) + Math.Exp(2) + 1);
        double expected = logSumExp - 1 + Math.Log(1 + Math.Exp(3 - logSumExp));
        Assert.Equal(expected, loss.PerSample(z).item<double>(), 14);
        Assert.Equal([1], loss.MarginGradient(z).Predictions);
    }

    [Fact]
    public void The_managed_engine_gives_the_same_loss_and_gradient()
    {
        using var scope = NewDisposeScope();
        var (z, labels, margins) = Problem(5);
        var managed = new ManagedEngine<double>();
        using var managedScope = managed.OpenScope();
        var onManaged = new BottomClassTradesLoss<ManagedTensor<double>>(managed, labels, margins, Classes, 2.0, 1.5);
        var onTorch = new BottomClassTradesLoss<Tensor>(TorchEngine.Instance, labels, margins, Classes, 2.0, 1.5);
        var x = managed.FromTensor(z);
        Assert.Equal(onTorch.PerSample(z).data<double>().ToArray(), managed.ToArray(onManaged.PerSample(x)));
        Assert.Equal(onTorch.Gradient(z).data<double>().ToArray(), managed.ToArray(onManaged.Gradient(x)));
    }

    [Fact]
    public void Bad_arguments_are_refused_naming_them()
    {
        var engine = TorchEngine.Instance;
        Assert.Contains("margins", Assert.Throws<ArgumentException>(() => new BottomClassTradesLoss<Tensor>(engine, [0, 1], [0, 1, 2], 2, 1, 1)).Message);
        Assert.Contains("label", Assert.Throws<ArgumentOutOfRangeException>(() => new BottomClassTradesLoss<Tensor>(engine, [0, 2], [0, 0, 0, 0], 2, 1, 1)).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new BottomClassTradesLoss<Tensor>(engine, [0], [0, 0, 0, 0], 2, double.NaN, 1)).Message);
        Assert.Contains("TRADES weight", Assert.Throws<ArgumentOutOfRangeException>(() => new BottomClassTradesLoss<Tensor>(engine, [0], [0, 0, 0, 0], 2, 1, -1)).Message);
        Assert.Contains("two classes", Assert.Throws<ArgumentOutOfRangeException>(() => new BottomClassTradesLoss<Tensor>(engine, [0], [0], 1, 1, 1)).Message);
    }
}
