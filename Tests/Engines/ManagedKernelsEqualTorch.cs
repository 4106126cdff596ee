using System.Numerics;
using FsCheck.Xunit;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using RobustNode.Core.Engines;
using RobustNode.Tests.Engines.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Engines;

/// <summary>Every managed kernel equals the TorchSharp operation it mirrors: to 1e-12 relative in float64.</summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class ManagedKernelsEqualTorchInDouble() : ManagedKernelsEqualTorch<double>(1e-12);

/// <summary>Every managed kernel equals the TorchSharp operation it mirrors: to 1e-5 relative in float32.</summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class ManagedKernelsEqualTorchInSingle() : ManagedKernelsEqualTorch<float>(1e-5);

/// <summary>
/// Properties over random shapes (a batch of 1 … 40 rows, sometimes several hundred so that sums over the batch are
/// chunked; 1 … 16 features, sometimes up to 80 so that every vector width and remainder is used) and random values
/// (normal, or small whole numbers for ties and zeros): each managed kernel against the TorchSharp expression that
/// defines it, both engines fed the same numbers.
/// </summary>
public abstract class ManagedKernelsEqualTorch<TScalar>(double tolerance)
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    private readonly ManagedComparison<TScalar> _c = new(tolerance);
    private ManagedEngine<TScalar> E => _c.Engine;
    private static TorchEngine T => TorchEngine.Instance;

    private static (int Batch, int Dim) Sizes(Random r) =>
        (r.Next(5) == 0 ? r.Next(257, 700) : r.Next(1, 41), r.Next(4) == 0 ? r.Next(17, 81) : r.Next(1, 17));

    private static Tensor Values(Random r, params long[] shape) =>
        r.Next(4) == 0 ? ManagedComparison<TScalar>.Whole(r, 3, shape) : ManagedComparison<TScalar>.Normal(r, shape);

    [Property(MaxTest = 60)]
    public void Elementwise_arithmetic_equals_torch(int seed)
    {
        var r = new Random(seed);
        var (b, d) = Sizes(r);
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        Tensor x = Values(r, b, d), y = Values(r, b, d), row = Values(r, d);
        double alpha = ManagedComparison<TScalar>.Gaussian(r), lo = -Math.Abs(alpha), hi = Math.Abs(alpha) + 0.1;
        var (mx, my, mrow) = (_c.Managed(x), _c.Managed(y), _c.Managed(row));
        _c.Equal(x.add(y, alpha), E.Add(mx, my, alpha), "Add");
        _c.Equal(x.add(y), E.Add(mx, my), "Add (α = 1)");
        _c.Equal(x.add(row, alpha), E.Add(mx, mrow, alpha), "Add (row broadcast)");
        _c.Equal(x.mul(y), E.Multiply(mx, my), "Multiply");
        _c.Equal(x.mul(row), E.Multiply(mx, mrow), "Multiply (row broadcast)");
        _c.Equal(x.mul(alpha), E.Scale(mx, alpha), "Scale");
        _c.Equal(x.sign(), E.Sign(mx), "Sign");
        _c.Equal(x.clamp(lo, hi), E.Clamp(mx, lo, hi), "Clamp");
        Tensor factors = Values(r, b), images = Values(r, b, 2, 3);
        _c.Equal(T.ScaleRows(x, factors), E.ScaleRows(mx, _c.Managed(factors)), "ScaleRows");
        _c.Equal(T.ScaleRows(images, factors), E.ScaleRows(_c.Managed(images), _c.Managed(factors)), "ScaleRows (rank 3)");
    }

    [Property(MaxTest = 60)]
    public void In_place_updates_equal_torch(int seed)
    {
        var r = new Random(seed);
        var (b, d) = Sizes(r);
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        Tensor y = Values(r, b, d), a = Values(r, b, d), c = Values(r, b, d).abs().add(0.5);
        double alpha = ManagedComparison<TScalar>.Gaussian(r);
        var my = _c.Managed(y);
        E.AddInPlace(my, _c.Managed(a), alpha); y = y.add(a, alpha);
        _c.Equal(y, my, "AddInPlace");
        E.ScaleInPlace(my, alpha); y = y.mul(alpha);
        _c.Equal(y, my, "ScaleInPlace");
        E.AddProductInPlace(my, _c.Managed(a), _c.Managed(c), alpha); y = y.addcmul(a, c, alpha);
        _c.Equal(y, my, "AddProductInPlace", a.mul(c).mul(alpha).abs());
        E.AddQuotientInPlace(my, _c.Managed(a), _c.Managed(c), alpha); y = y.addcdiv(a, c, alpha);
        _c.Equal(y, my, "AddQuotientInPlace", a.div(c).mul(alpha).abs());
        var mc = _c.Managed(c);
        E.SqrtAddInPlace(mc, 1e-8); c = c.sqrt().add(1e-8);
        _c.Equal(c, mc, "SqrtAddInPlace");
        E.CopyInPlace(my, mc);
        _c.Equal(c, my, "CopyInPlace");
    }

    [Property(MaxTest = 60)]
    public void State_algebra_equals_the_tensor_algebra(int seed)
    {
        var r = new Random(seed);
        var (b, d) = Sizes(r);
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        int n = r.Next(1, 8);
        var y = Values(r, b, d);
        var terms = Enumerable.Range(0, n).Select(_ => Values(r, b, d)).ToArray();
        var weights = Enumerable.Range(0, n).Select(_ => r.Next(3) == 0 ? 0 : ManagedComparison<TScalar>.Gaussian(r)).ToArray();
        var managed = terms.Select(_c.Managed).ToArray();
        var my = _c.Managed(y);
        var scale = terms.Select((t, i) => t.abs().mul(Math.Abs(weights[i]))).Aggregate(y.abs(), (s, t) => s.add(t));
        _c.Equal(T.AddScaled(y, weights, terms), E.AddScaled(my, weights, managed), "AddScaled", scale);
        _c.Equal(T.LinearCombination(weights, terms), E.LinearCombination(weights, managed), "LinearCombination", scale);

        double rtol = 1e-3 * r.NextDouble(), atol = 1e-6 + r.NextDouble();
        var (sum, count) = E.ScaledSquares(managed[0], my, _c.Managed(terms[^1]), rtol, atol);
        var (expected, expectedCount) = T.ScaledSquares(terms[0], y, terms[^1], rtol, atol);
        Assert.Equal(expectedCount, count);
        _c.Equal(expected, sum, "ScaledSquares");
        Assert.True(E.IsFinite(my));
    }

    [Fact]
    public void Non_finite_values_are_seen_and_propagate_to_the_extrema()
    {
        using var scope = E.OpenScope();
        foreach (var bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            for (int position = 0; position < 37; position += 5)
            {
                var values = Enumerable.Range(0, 37).Select(i => i == position ? bad : i - 18.5).ToArray();
                var x = E.FromValues(values, default, 37);
                Assert.False(E.IsFinite(x));
                Assert.Equal(T.IsFinite(tensor(values)), E.IsFinite(x));
                var (min, max) = E.Extrema(x);
                var finite = values.Where(double.IsFinite).ToArray();
                if (double.IsNaN(bad)) { Assert.True(double.IsNaN(min) && double.IsNaN(max)); }
                else if (bad > 0) { Assert.Equal(finite.Min(), min); Assert.Equal(bad, max); }
                else { Assert.Equal(bad, min); Assert.Equal(finite.Max(), max); }
            }
        }
    }

    [Fact]
    public void Kinks_ties_and_NaN_follow_torch()
    {
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        double nan = double.NaN, inf = double.PositiveInfinity;
        var special = tensor(new[] { nan, -0.0, 0.0, inf, -inf, 1.5, -2.5, 3.0 }, float64).to(ManagedComparison<TScalar>.DType);
        var ms = _c.Managed(special);
        _c.Equal(special.sign(), E.Sign(ms), "Sign");
        _c.Equal(special.clamp(-1, 1), E.Clamp(ms, -1, 1), "Clamp");
        foreach (var activation in Activation.ByName.Values)
            _c.Equal(T.Activate(activation, special), E.Activate(activation, ms), activation.Name);
        // Rows with ties, with NaN first, last or between, and a zero row.
        var rows = tensor(new[,]
        {
            { 1.0, 3, 3, -3 }, { -3, 1, 3, 3 }, { nan, 1, 2, 2 }, { 1, 2, nan, nan }, { 2, 2, 2, nan }, { 0, 0, 0, 0 }, { -0.0, 0, 0, -0.0 },
        }, float64).to(ManagedComparison<TScalar>.DType);
        var mr = _c.Managed(rows);
        _c.Equal(rows.argmax(1), E.ArgMax(mr), "ArgMax");
        foreach (var norm in new[] { AttackNorm.Infinity, AttackNorm.Two, AttackNorm.One })
        {
            _c.Equal(T.DualNorm(norm, rows), E.DualNorm(norm, mr), $"DualNorm q = {norm}");
            var finiteRows = rows.narrow(0, 0, 2);
            _c.Equal(T.DualNormGradient(norm, finiteRows), E.DualNormGradient(norm, _c.Managed(finiteRows)), $"DualNormGradient q = {norm} with ties");
        }
        _c.Equal(tensor(new[] { 0.0, 0, 0, 0 }).to(ManagedComparison<TScalar>.DType),
            E.Select(E.DualNormGradient(AttackNorm.Two, mr), 5), "the 2-norm gradient of a zero row");
    }

    [Property(MaxTest = 60)]
    public void Dense_products_equal_torch(int seed)
    {
        var r = new Random(seed);
        var (b, n) = Sizes(r);
        int m = r.Next(3) == 0 ? n : r.Next(1, 70);
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        Tensor x = Values(r, b, n), w = Values(r, m, n), bias = Values(r, m), p = Values(r, b, m), q = Values(r, b, n);
        var (mx, mw, mb, mp, mq) = (_c.Managed(x), _c.Managed(w), _c.Managed(bias), _c.Managed(p), _c.Managed(q));
        _c.Equal(nn.functional.linear(x, w, bias), E.Linear(mx, mw, mb), "Linear",
            nn.functional.linear(x.abs(), w.abs(), bias.abs()));
        _c.Equal(nn.functional.linear(x, w), E.Linear(mx, mw, default), "Linear without bias", nn.functional.linear(x.abs(), w.abs()));
        _c.Equal(p.matmul(w), E.MatMul(mp, mw), "MatMul", p.abs().matmul(w.abs()));
        _c.Equal(p.t().matmul(q), E.TransposedMatMul(mp, mq), "TransposedMatMul", p.abs().t().matmul(q.abs()));
        _c.Equal(x.sum(0L), E.SumRows(mx), "SumRows", x.abs().sum(0L));
        Tensor mu = Values(r, b, m), d2 = Values(r, b, n);
        var (tFirst, tSecond) = T.SecondOrderPullback(p, mu, w, q, x, d2);
        var (mFirst, mSecond) = E.SecondOrderPullback(mp, _c.Managed(mu), mw, mq, mx, _c.Managed(d2));
        var (pw, mw2) = (p.abs().matmul(w.abs()), mu.abs().matmul(w.abs()));
        _c.Equal(tFirst, mFirst, "SecondOrderPullback first", x.abs().mul(pw));
        _c.Equal(tSecond, mSecond, "SecondOrderPullback second", x.abs().mul(mw2) + d2.abs().mul(q.abs()).mul(pw));
        foreach (double alpha in new[] { 1.0, -1.0, 0.37 })
        {
            Tensor acc = Values(r, m, n), accRow = Values(r, n);
            var (macc, maccRow) = (_c.Managed(acc), _c.Managed(accRow));
            E.AddTransposedMatMulInPlace(macc, mp, mq, alpha);
            E.AddSumRowsInPlace(maccRow, mx, alpha);
            var scale = acc.abs() + p.abs().t().matmul(q.abs()).mul(Math.Abs(alpha));
            T.AddTransposedMatMulInPlace(acc, p, q, alpha);
            T.AddSumRowsInPlace(accRow, x, alpha);
            _c.Equal(acc, macc, $"AddTransposedMatMulInPlace α = {alpha}", scale);
            _c.Equal(accRow, maccRow, $"AddSumRowsInPlace α = {alpha}", accRow.abs() + x.abs().sum(0L).mul(Math.Abs(alpha)));
        }
        _c.Equal(x.sum(1), E.SumPerSample(mx), "SumPerSample", x.abs().sum(1));
        var stacked = Values(r, b, 2, n);
        _c.Equal(stacked.sum(0L), E.SumRows(_c.Managed(stacked)), "SumRows of [B, 2, n]", stacked.abs().sum(0L));
        _c.Equal(stacked.flatten(1).sum(1), E.SumPerSample(_c.Managed(stacked)), "SumPerSample of [B, 2, n]", stacked.abs().flatten(1).sum(1));
        _c.Equal(x.sum().to(float64).item<double>(), E.Sum(mx), "Sum", x.abs().sum().to(float64).item<double>());
        _c.Equal(x.mean().to(float64).item<double>(), E.Mean(mx), "Mean", x.abs().mean().to(float64).item<double>());
        _c.Equal(x.mul(q).sum().to(float64).item<double>(), E.Dot(mx, mq), "Dot", x.mul(q).abs().sum().to(float64).item<double>());
        var (min, max) = E.Extrema(mx);
        Assert.Equal(x.min().to(float64).item<double>(), min);
        Assert.Equal(x.max().to(float64).item<double>(), max);
    }

    [Property(MaxTest = 60)]
    public void Activations_and_their_derivatives_equal_torch(int seed)
    {
        var r = new Random(seed);
        var (b, d) = Sizes(r);
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        // Normal values at several scales, exact zeros, tiny values (where tanh must not cancel) and large ones (softplus's threshold).
        var x = Values(r, b, d).mul(Math.Pow(10, r.Next(-6, 3)));
        if (r.Next(3) == 0) x = x.where(x.abs().gt(0.5), x.mul(1e-4));
        var mx = _c.Managed(x);
        foreach (var activation in Activation.ByName.Values)
        {
            var value = T.Activate(activation, x);
            var derivative = T.ActivationDerivative(activation, x, value);
            var second = T.ActivationSecondDerivative(activation, x, value, derivative);
            _c.Equal(value, E.Activate(activation, mx), activation.Name);
            // The derivatives from values: both engines given the same σ(x) (and σ'(x)).
            var (mv, md) = (_c.Managed(value), _c.Managed(derivative));
            _c.Equal(derivative, E.ActivationDerivative(activation, mx, mv), activation.Name + "'");
            _c.Equal(second, E.ActivationSecondDerivative(activation, mx, mv, md), activation.Name + "''");
        }
    }

    [Fact]
    public void Tanh_is_accurate_to_a_few_units_in_the_last_place_everywhere()
    {
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        // A logarithmic grid of ±10⁻¹⁰ … 40, finer around the switch from the series to the exponential at 0.1.
        var grid = Enumerable.Range(0, 4001).Select(i => Math.Pow(10, -10 + 11.6 * i / 4000))
            .Concat(Enumerable.Range(0, 201).Select(i => 0.099 + 1e-5 * i)).ToArray();
        var x = tensor(grid.Concat(grid.Select(v => -v)).ToArray(), float64).to(ManagedComparison<TScalar>.DType);
        var expected = x.to(float64).tanh().data<double>().ToArray();
        var actual = E.ToArray(E.Activate(Activation.Tanh, _c.Managed(x)));
        double unit = typeof(TScalar) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(a - e) / Math.Abs(e)).Max() / unit;
        Assert.True(worst <= 4, $"tanh [{typeof(TScalar).Name}]: {worst:F2} units of the last place from the exact value");
    }

    [Fact]
    public void Tanh_of_a_batch_equals_tanh_of_each_element_bit_for_bit()
    {
        // The kernel takes four vectors at a time, then one, then a zero-padded one: every element the same operations.
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        var r = new Random(5);
        var values = Enumerable.Range(0, 203).Select(_ => (r.NextDouble() - 0.5) * Math.Pow(10, r.Next(-8, 3))).ToArray();
        var x = tensor(values, float64).to(ManagedComparison<TScalar>.DType);
        var batch = E.ToArray(E.Activate(Activation.Tanh, _c.Managed(x)));
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(E.ToArray(E.Activate(Activation.Tanh, _c.Managed(x.narrow(0, i, 1))))[0], batch[i]);
    }

    [Property(MaxTest = 60)]
    public void Cross_entropy_and_its_derivatives_equal_torch(int seed)
    {
        var r = new Random(seed);
        var (b, _) = Sizes(r);
        int m = r.Next(1, 12);
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        var z = Values(r, b, m).mul(r.Next(1, 20));
        var labels = ManagedComparison<TScalar>.Labels(r, b, m);
        var s = Values(r, b, m);
        var (mz, my, ms) = (_c.Managed(z), _c.Managed(labels), _c.Managed(s));
        var pi = z.softmax(1);
        _c.Equal(nn.functional.cross_entropy(z, labels, reduction: nn.Reduction.None), E.CrossEntropy(mz, my), "CrossEntropy (PyTorch's)",
            z.abs().amax([1]).mul(2).add(1));
        _c.Equal(T.CrossEntropy(z, labels), E.CrossEntropy(mz, my), "CrossEntropy",
            z.abs().amax([1]).mul(2).add(1));
        _c.Equal(T.CrossEntropyGradient(z, labels), E.CrossEntropyGradient(mz, my), "CrossEntropyGradient", ones_like(z));
        _c.Equal(T.CrossEntropyHessianVectorProduct(z, s), E.CrossEntropyHessianVectorProduct(mz, ms), "CrossEntropyHessianVectorProduct",
            pi * s.abs() + pi * (pi * s.abs()).sum(1, keepdim: true));
        _c.Equal(pi, E.Softmax(mz), "Softmax");
        _c.Equal(z.argmax(1), E.ArgMax(mz), "ArgMax");
        Assert.Equal(z.argmax(1).eq(labels).sum().item<long>(), E.CountEqual(E.ArgMax(mz), my));
    }

    [Property(MaxTest = 60)]
    public void Dual_norms_their_gradients_and_projections_equal_torch(int seed)
    {
        var r = new Random(seed);
        var (b, d) = Sizes(r);
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        // Whole numbers give ties of the max-norm and zeros of sign; some rows are zero.
        var g = Values(r, b, d);
        var zeroRows = rand(b, 1).lt(0.2).to(g.dtype);
        g = g.mul(1 - zeroRows);
        var mg = _c.Managed(g);
        double radius = 0.05 + 3 * r.NextDouble();
        foreach (var norm in new[] { AttackNorm.Infinity, AttackNorm.Two, AttackNorm.One })
        {
            _c.Equal(T.DualNorm(norm, g), E.DualNorm(norm, mg), $"DualNorm q = {norm}", norm.DualQ == 1 ? g.abs().sum(1) : null);
            var gradient = T.DualNormGradient(norm, g);
            // TorchSharp divides 0 by 0 for a zero row in float32 (clamp_min(1e-300) rounds to 0); the convention is 0.
            gradient = gradient.nan_to_num(0);
            _c.Equal(gradient, E.DualNormGradient(norm, mg), $"DualNormGradient q = {norm}");
            _c.Equal(T.Project(norm, g, radius), E.Project(norm, mg, radius), $"Project q = {norm}", g.abs());
        }
        var stacked = Values(r, b, 2, d);
        _c.Equal(T.Project(AttackNorm.One, stacked, radius), E.Project(AttackNorm.One, _c.Managed(stacked), radius), "Project q = 1 of [B, 2, d]", stacked.abs());
        _c.Equal(T.DualNormGradient(AttackNorm.Two, stacked), E.DualNormGradient(AttackNorm.Two, _c.Managed(stacked)), "DualNormGradient q = 2 of [B, 2, d]");
    }

    [Property(MaxTest = 40)]
    public void Selection_and_shapes_equal_torch(int seed)
    {
        var r = new Random(seed);
        var (b, d) = Sizes(r);
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        Tensor x = Values(r, b, d), y = Values(r, b, d), u = Values(r, b), v = Values(r, b);
        var (mx, my) = (_c.Managed(x), _c.Managed(y));
        var mask = u.gt(v);
        _c.Equal(mask.to(x.dtype), E.Greater(_c.Managed(u), _c.Managed(v)), "Greater");
        _c.Equal(T.WhereRows(T.Greater(u, v), x, y), E.WhereRows(E.Greater(_c.Managed(u), _c.Managed(v)), mx, my), "WhereRows");
        var parts = new[] { x, y.narrow(0, 0, r.Next(b + 1)), x.narrow(0, 0, 1) };
        _c.Equal(T.Concat(parts), E.Concat(parts.Select(_c.Managed).ToArray()), "Concat");
        var rows = Enumerable.Range(0, r.Next(0, 2 * b)).Select(_ => (long)r.Next(b)).ToArray();
        _c.Equal(x.index_select(0, tensor(rows, int64)), E.GatherRows(mx, rows), "GatherRows");
        int width = d + r.Next(0, 5);
        _c.Equal(nn.functional.pad(x, [0, width - d]), E.PadColumns(mx, width), "PadColumns");
        int first = r.Next(0, d + 1);
        _c.Equal(x.narrow(1, 0, first), E.FirstColumns(mx, first), "FirstColumns");
        long index = r.Next(b);
        _c.Equal(x[index], E.Select(mx, index), "Select");
        long start = r.Next(b), count = r.Next((int)(b - start) + 1);
        _c.Equal(x.narrow(0, start, count), E.Rows(mx, start, count), "Rows");
        _c.Equal(x.reshape(d, b), E.Reshape(mx, d, -1), "Reshape");
        _c.Equal(x.reshape(-1), E.Reshape(mx, -1), "Reshape to one dimension");
        _c.Equal(x, E.Clone(mx), "Clone");
        _c.Equal(zeros(b, d), E.Zeros(mx, b, d), "Zeros");
        _c.Equal(zeros_like(x), E.ZerosLike(mx), "ZerosLike");
        Assert.Equal([b, d], E.Shape(mx));
        Assert.Equal(b, E.BatchSize(mx));
    }

    [Property(MaxTest = 40)]
    public void Torch_tensors_enter_and_leave_unchanged(int seed)
    {
        var r = new Random(seed);
        var (b, d) = Sizes(r);
        using var torchScope = NewDisposeScope();
        using var scope = E.OpenScope();
        var x = Values(r, b, d + 1);
        // A view with an offset and strides, and tensors of other dtypes, come in as copies in the element type.
        foreach (var t in new[] { x, x.narrow(1, 1, d), x.t(), x.to(float64), x.to(float32), ManagedComparison<TScalar>.Labels(r, b, 7), x.gt(0) })
        {
            var m = E.FromTensor(t);
            var back = E.ToTensor(m);
            Assert.Equal(ManagedEngine<TScalar>.ElementType, back.dtype);
            Assert.Equal(t.to(back.dtype).data<TScalar>().ToArray(), back.data<TScalar>().ToArray());
            Assert.Equal(t.to(float64).data<double>().ToArray().Select(v => double.CreateTruncating(TScalar.CreateTruncating(v))), E.ToArray(m));
        }
        var values = Enumerable.Range(0, b * d).Select(_ => ManagedComparison<TScalar>.Gaussian(r)).ToArray();
        _c.Equal(tensor(values, [b, d], float64).to(ManagedComparison<TScalar>.DType), E.FromValues(values, default, b, d), "FromValues");
    }
}
