using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Attacks;

/// <summary>The margin and DLR losses against their formulas through TorchSharp autograd (sort included).</summary>
public sealed class MarginLossesTests
{
    public MarginLossesTests() => Initialise();

    private static readonly TorchEngine E = TorchEngine.Instance;

    /// <summary>Random scores [B, m] without ties, labels and targets different from the labels.</summary>
    private static (Tensor Z, Tensor Labels, int[] Targets) Case(int rows, int classes, long seed)
    {
        using var generator = new Generator((ulong)seed);
        var z = randn([rows, classes], dtype: ScalarType.Float64, generator: generator).Times(2.0);
        var labels = randint(0, classes, [rows], generator: generator);
        var y = labels.data<long>().ToArray();
        var targets = y.Select((l, i) => (int)((l + 1 + i % (classes - 1)) % classes)).ToArray();
        return (z, labels, targets);
    }

    /// <summary>The per-sample loss by the formulas, as a differentiable function of z.</summary>
    private static Tensor Formula(Tensor z, Tensor labels, int[]? targets, bool dlr)
    {
        var rows = tensor(Enumerable.Range(0, (int)z.shape[0]).Select(i => (long)i).ToArray());
        var zy = z[rows, labels];
        Tensor other;
        if (targets is not null) other = z[rows, tensor(targets.Select(t => (long)t).ToArray())];
        else
        {
            var masked = z.clone();
            masked[rows, labels] = tensor(double.NegativeInfinity);
            other = z.gather(1, masked.argmax(1, keepdim: true)).squeeze(1);
        }
        if (!dlr) return other - zy;
        var sorted = z.sort(1, descending: true).Values;
        var denominator = targets is null
            ? sorted[.., 0] - sorted[.., 2]
            : sorted[.., 0] - sorted[.., 2].Plus(sorted[.., 3]).Times(0.5);
        return -(zy - other) / denominator.Plus(DifferenceOfLogitsRatioLoss<Tensor>.Offset);
    }

    public static TheoryData<bool, bool, int> Losses => new()
    {
        { false, false, 2 }, { false, true, 2 }, { false, false, 5 }, { false, true, 5 },
        { true, false, 3 }, { true, false, 6 }, { true, true, 4 }, { true, true, 7 },
    };

    [Theory]
    [MemberData(nameof(Losses))]
    public void Values_gradients_and_hessian_products_equal_autograd(bool dlr, bool targeted, int classes)
    {
        var (z, labels, targets) = Case(40, classes, 7 + classes);
        var t = targeted ? targets : null;
        ILoss<Tensor> loss = dlr ? new DifferenceOfLogitsRatioLoss<Tensor>(E, labels, t) : new MarginLoss<Tensor>(E, labels, t);
        using var enable = enable_grad();
        var zr = z.detach().clone().requires_grad_(true);
        var values = Formula(zr, labels, t, dlr);
        var gradient = autograd.grad([values.sum()], [zr], create_graph: true, retain_graph: true)[0];
        var s = randn_like(z);
        // The margin is linear in z (its gradient is constant): its Hessian is zero.
        var hessian = gradient.requires_grad ? autograd.grad([(gradient * s).sum()], [zr])[0] : zeros_like(z);
        Assert.True(MaxAbsDifference(loss.PerSample(z), values.detach()) < 1e-12);
        Assert.True(MaxAbsDifference(loss.Gradient(z), gradient.detach()) < 1e-12);
        Assert.True(MaxAbsDifference(loss.HessianVectorProduct(z, s), hessian.detach()) < 1e-10);
    }

    [Fact]
    public void The_margin_is_positive_exactly_for_misclassified_samples()
    {
        var (z, labels, _) = Case(200, 4, 3);
        var margin = new MarginLoss<Tensor>(E, labels).PerSample(z);
        Assert.True(margin.gt(TorchScalars.Zero).eq(z.argmax(1).ne(labels)).all().item<bool>());
    }

    [Fact]
    public void The_dlr_loss_ignores_shifts_and_positive_scales_of_the_scores()
    {
        var (z, labels, targets) = Case(50, 6, 11);
        foreach (var t in new[] { null, targets })
        {
            var loss = new DifferenceOfLogitsRatioLoss<Tensor>(E, labels, t);
            Assert.True(MaxAbsDifference(loss.PerSample(z), loss.PerSample(z.Times(7.5).Plus(3.0))) < 1e-10);
        }
    }

    [Fact]
    public void Selecting_rows_keeps_their_labels_and_targets()
    {
        var (z, labels, targets) = Case(30, 5, 5);
        var loss = new DifferenceOfLogitsRatioLoss<Tensor>(E, labels, targets);
        long[] rows = [4, 0, 17];
        var part = loss.Select(rows);
        var index = tensor(rows);
        Assert.True(MaxAbsDifference(part.PerSample(z.index_select(0, index)), loss.PerSample(z).index_select(0, index)) < 1e-15);
        Assert.Equal(3, part.Count);
    }

    [Fact]
    public void Too_few_classes_and_bad_targets_are_refused()
    {
        var (z, labels, targets) = Case(8, 3, 2);
        Assert.Throws<ArgumentException>(() => new DifferenceOfLogitsRatioLoss<Tensor>(E, labels, targets).PerSample(z));
        Assert.Throws<ArgumentException>(() => new MarginLoss<Tensor>(E, labels, labels.data<long>().Select(l => (int)l).ToArray()).PerSample(z));
        Assert.Throws<ArgumentException>(() => new MarginLoss<Tensor>(E, labels, [1, 2]));
    }
}
