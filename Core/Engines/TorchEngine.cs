using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Core.Engines;

/// <summary>
/// The TorchSharp engine: values are libtorch tensors on any device and of any floating dtype, which come from the
/// operands (the engine itself holds nothing). Every kernel is one or a few libtorch calls; the only engine with
/// convolutions and a GPU.
/// </summary>
/// <remarks>
/// Results belong to the innermost TorchSharp dispose scope (<see cref="OpenScope"/> opens one). The kernels are written
/// as the closed forms were before the engine existed, call for call, so that results do not change by a bit.
/// </remarks>
public sealed class TorchEngine : IEngine<Tensor>
{
    /// <summary>The shared instance (stateless).</summary>
    public static TorchEngine Instance { get; } = new();

    private TorchEngine() { }

    /// <inheritdoc/>
    public string Name => "torch";

    // ---- State algebra ----------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Tensor AddScaled(Tensor y, ReadOnlySpan<double> weights, ReadOnlySpan<Tensor> terms)
    {
        Tensor? r = null;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0) continue;
            r = r is null ? y.Plus(terms[i], weights[i]) : r.PlusInPlace(terms[i], weights[i]);
        }
        return r ?? y.clone();
    }

    /// <inheritdoc/>
    public Tensor LinearCombination(ReadOnlySpan<double> weights, ReadOnlySpan<Tensor> terms)
    {
        Tensor? r = null;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0) continue;
            r = r is null ? terms[i].Times(weights[i]) : r.PlusInPlace(terms[i], weights[i]);
        }
        return r ?? zeros_like(terms[0]);
    }

    /// <inheritdoc/>
    public (double SumOfSquares, long Count) ScaledSquares(Tensor v, Tensor ya, Tensor yb, double rtol, double atol)
    {
        using var scope = NewDisposeScope();
        var scale = maximum(ya.abs(), yb.abs()).TimesInPlace(rtol).PlusInPlace(atol);
        return (v.div(scale).pow(TorchScalars.Two).sum().to(float64).item<double>(), v.numel());
    }

    /// <inheritdoc/>
    public bool IsFinite(Tensor y)
    {
        if (y.numel() == 0) return true;
        using var scope = NewDisposeScope();
        // max propagates NaN and |±∞| = ∞: two kernels instead of isfinite's several.
        return double.IsFinite(y.abs().max().to(float64).item<double>());
    }

    /// <inheritdoc/>
    public IDisposable OpenScope() => NewDisposeScope();

    /// <inheritdoc/>
    public Tensor Keep(Tensor y) => y.MoveToOuterDisposeScope();

    /// <inheritdoc/>
    public void Release(Tensor y) => y.Dispose();

    // ---- Shapes, creation and conversion ----------------------------------------------------------------------------

    /// <inheritdoc/>
    public long[] Shape(Tensor x) => x.shape;

    /// <inheritdoc/>
    public long BatchSize(Tensor x) => x.size(0);

    /// <inheritdoc/>
    public Tensor Zeros(Tensor like, params ReadOnlySpan<long> shape) => zeros(shape.ToArray(), like.dtype, like.device);

    /// <inheritdoc/>
    public Tensor ZerosLike(Tensor x) => zeros_like(x);

    /// <inheritdoc/>
    public Tensor Clone(Tensor x) => x.clone();

    /// <inheritdoc/>
    public Tensor FromValues(ReadOnlySpan<double> values, Tensor like, params ReadOnlySpan<long> shape)
    {
        var data = values.ToArray();
        var dimensions = shape.ToArray();
        if (like.dtype == ScalarType.Float64 && like.device_type == DeviceType.CPU) return tensor(data, dimensions, ScalarType.Float64);
        using var scope = NewDisposeScope();
        return tensor(data, dimensions, ScalarType.Float64).to(like.dtype, like.device).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public double[] ToArray(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.detach().to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();
    }

    /// <inheritdoc/>
    public Tensor FromTensor(Tensor tensor) => tensor;

    /// <inheritdoc/>
    public Tensor ToTensor(Tensor x) => x;

    /// <inheritdoc/>
    public ScalarType DType(Tensor x) => x.dtype;

    /// <inheritdoc/>
    public bool IsFloatingPoint(Tensor x) => x.is_floating_point();

    /// <inheritdoc/>
    public string? Incompatibility(Tensor reference, Tensor x)
    {
        if (x.dtype != reference.dtype) return $"dtype {x.dtype} differs from {reference.dtype}";
        if (x.device_type != reference.device_type || x.device_index != reference.device_index) return $"on device {x.device}, not {reference.device}";
        return null;
    }

    /// <inheritdoc/>
    public Tensor DetachFromScope(Tensor x) => x.DetachFromDisposeScope();

    /// <inheritdoc/>
    public Tensor Select(Tensor x, long index) => x.select(0, index);

    /// <inheritdoc/>
    public Tensor Rows(Tensor x, long start, long count) => x.narrow(0, start, count);

    /// <inheritdoc/>
    public Tensor GatherRows(Tensor x, ReadOnlySpan<long> rows)
    {
        using var scope = NewDisposeScope();
        var index = tensor(rows.ToArray(), ScalarType.Int64, x.device);
        return x.index_select(0, index).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Reshape(Tensor x, params ReadOnlySpan<long> shape) => x.reshape(shape.ToArray());

    /// <inheritdoc/>
    public Tensor PadColumns(Tensor x, long width) => nn.functional.pad(x, [0, width - x.size(1)]);

    /// <inheritdoc/>
    public Tensor FirstColumns(Tensor x, long count) => x.narrow(1, 0, count);

    /// <inheritdoc/>
    public Tensor Concat(IReadOnlyList<Tensor> parts) => parts.Count == 1 ? parts[0].alias() : cat(parts as IList<Tensor> ?? [.. parts], 0);

    // ---- Elementwise arithmetic -------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Tensor Add(Tensor a, Tensor b, double alpha = 1) => alpha == 1 ? a.Plus(b) : a.Plus(b, alpha);

    /// <inheritdoc/>
    public Tensor Multiply(Tensor a, Tensor b) => a.mul(b);

    /// <inheritdoc/>
    public Tensor Scale(Tensor a, double s) => a.Times(s);

    /// <inheritdoc/>
    public Tensor ScaleRows(Tensor x, Tensor factors)
    {
        // Checked here: a broadcast of the wrong shape would be silently accepted by libtorch or fail inside it.
        if (factors.dim() != 1 || x.dim() < 1 || factors.size(0) != x.size(0))
            throw new ArgumentException($"ScaleRows: factors must be [{(x.dim() < 1 ? "B" : x.size(0))}] for x [{string.Join(", ", x.shape)}], got [{string.Join(", ", factors.shape)}]");
        var shape = new long[x.dim()];
        shape[0] = x.size(0);
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        return x.mul(factors.view(shape));
    }

    /// <inheritdoc/>
    public Tensor Sign(Tensor a) => a.sign();

    /// <inheritdoc/>
    public Tensor Clamp(Tensor a, double min, double max) => a.Clamped(min, max);

    /// <inheritdoc/>
    public void AddInPlace(Tensor y, Tensor x, double alpha = 1)
    {
        if (alpha == 1) y.PlusInPlace(x);
        else y.PlusInPlace(x, alpha);
    }

    /// <inheritdoc/>
    public void ScaleInPlace(Tensor y, double s) => y.TimesInPlace(s);

    /// <inheritdoc/>
    public void AddProductInPlace(Tensor y, Tensor a, Tensor b, double alpha)
    {
        using var value = alpha.ToScalar();
        y.addcmul_(a, b, value);
    }

    /// <inheritdoc/>
    public void AddQuotientInPlace(Tensor y, Tensor a, Tensor b, double alpha)
    {
        using var value = alpha.ToScalar();
        y.addcdiv_(a, b, value);
    }

    /// <inheritdoc/>
    public void SqrtAddInPlace(Tensor y, double c) => y.sqrt_().PlusInPlace(c);

    /// <inheritdoc/>
    public void CopyInPlace(Tensor destination, Tensor source) => destination.copy_(source);

    // ---- Dense linear algebra ---------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => nn.functional.linear(x, weight, bias);

    /// <inheritdoc/>
    public Tensor MatMul(Tensor a, Tensor b) => a.matmul(b);

    /// <inheritdoc/>
    public Tensor TransposedMatMul(Tensor a, Tensor b) => a.t().matmul(b);

    /// <inheritdoc/>
    public (Tensor First, Tensor Second) SecondOrderPullback(Tensor p, Tensor m, Tensor weight, Tensor s, Tensor d1, Tensor d2)
    {
        using var scope = NewDisposeScope();
        var pw = p.matmul(weight);
        var second = d1.mul(m.matmul(weight));
        second.PlusInPlace(d2.mul(s).mul_(pw));
        return (d1.mul(pw).MoveToOuterDisposeScope(), second.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public Tensor SumRows(Tensor x) => x.sum(dim: 0);

    /// <inheritdoc/>
    public void AddTransposedMatMulInPlace(Tensor y, Tensor a, Tensor b, double alpha = 1)
    {
        using var scope = NewDisposeScope();
        // addmm_ takes its factor as a float: exact for ±1, the factors the sweeps use; others go the long way.
        if ((double)(float)alpha == alpha) y.addmm_(a.t(), b, 1, (float)alpha);
        else y.PlusInPlace(a.t().matmul(b), alpha);
    }

    /// <inheritdoc/>
    public void AddSumRowsInPlace(Tensor y, Tensor x, double alpha = 1)
    {
        using var scope = NewDisposeScope();
        AddInPlace(y, x.sum(dim: 0), alpha);
    }

    /// <inheritdoc/>
    public Tensor SumPerSample(Tensor x) => x.dim() == 2 ? x.sum(dim: 1) : x.flatten(1).sum(dim: 1);

    // ---- Activations ------------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Tensor Activate(Activation activation, Tensor x) => activation.Kind switch
    {
        ActivationKind.Tanh => x.tanh(),
        ActivationKind.Sigmoid => x.sigmoid(),
        ActivationKind.Softplus => TorchScalars.Softplus(x),
        ActivationKind.Relu => nn.functional.relu(x),
        _ => x.alias(),
    };

    // The derivatives are formed in their first temporary, in place: the same operations and values as out of place
    // (scaling by −2 is exact), with one allocation each instead of two or three.

    /// <inheritdoc/>
    public Tensor ActivationDerivative(Activation activation, Tensor x, Tensor value) => activation.Kind switch
    {
        ActivationKind.Tanh => (value * value).neg_().add_(TorchScalars.One, TorchScalars.One),
        ActivationKind.Sigmoid => value.neg().add_(TorchScalars.One, TorchScalars.One).mul_(value),
        ActivationKind.Softplus => x.sigmoid(),
        ActivationKind.Relu => x.gt(TorchScalars.Zero).to(x.dtype),
        _ => ones_like(x),
    };

    /// <inheritdoc/>
    public Tensor ActivationSecondDerivative(Activation activation, Tensor x, Tensor value, Tensor derivative) => activation.Kind switch
    {
        ActivationKind.Tanh => (value * derivative).mul_(TorchScalars.MinusTwo),
        ActivationKind.Sigmoid => value.mul(TorchScalars.MinusTwo).add_(TorchScalars.One, TorchScalars.One).mul_(derivative),
        ActivationKind.Softplus => derivative.neg().add_(TorchScalars.One, TorchScalars.One).mul_(derivative),
        _ => zeros_like(x),
    };

    // ---- Losses and classification ----------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Tensor CrossEntropy(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return (logits.logsumexp(1) - logits.gather(1, labels.unsqueeze(1)).squeeze(1)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor CrossEntropyGradient(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var pi = logits.softmax(1);
        return (pi - nn.functional.one_hot(labels, pi.shape[1]).to(pi.dtype)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor CrossEntropyHessianVectorProduct(Tensor logits, Tensor s)
    {
        using var scope = NewDisposeScope();
        var pi = logits.softmax(1);
        return (pi * s - pi * (pi * s).sum(1, keepdim: true)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Softmax(Tensor logits) => logits.softmax(1);

    /// <inheritdoc/>
    public Tensor ArgMax(Tensor logits) => logits.argmax(1);

    /// <inheritdoc/>
    public long CountEqual(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.eq(b).sum().item<long>();
    }

    // ---- Norms of the attack ball -----------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Tensor DualNorm(AttackNorm norm, Tensor g)
    {
        using var scope = NewDisposeScope();
        var rows = g.flatten(1);
        var result = norm.DualQ switch
        {
            1 => rows.abs().sum(1),
            2 => rows.pow(TorchScalars.Two).sum(1).sqrt(),
            _ => rows.abs().amax([1]),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor DualNormGradient(AttackNorm norm, Tensor sample)
    {
        using var scope = NewDisposeScope();
        var g = sample.flatten(1);
        Tensor v = norm.DualQ switch
        {
            1 => g.sign(),
            2 => g / g.pow(TorchScalars.Two).sum(1, keepdim: true).sqrt().AtLeast(1e-300),
            _ => zeros_like(g).scatter_(1, g.abs().argmax(1, keepdim: true), g.gather(1, g.abs().argmax(1, keepdim: true)).sign()),
        };
        return v.view(sample.shape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Project(AttackNorm norm, Tensor sample, double radius)
    {
        using var scope = NewDisposeScope();
        var delta = sample.flatten(1);
        Tensor result;
        if (double.IsPositiveInfinity(norm.Q)) result = delta.Clamped(-radius, radius);
        else if (norm.Q == 2)
        {
            var length = delta.pow(TorchScalars.Two).sum(1, keepdim: true).sqrt();
            result = delta * length.AtLeast(radius).Into(radius);
        }
        else
        {
            var abs = delta.abs();
            var inside = abs.sum(1, keepdim: true).AtMost(radius);
            var sorted = abs.sort(1, descending: true).Values;
            var cums = sorted.cumsum(1).Minus(radius);
            using var end = (delta.shape[1] + 1).ToScalar();
            var k = arange(TorchScalars.One, end, TorchScalars.One, dtype: delta.dtype, device: delta.device);
            var cond = (sorted - cums / k).gt(TorchScalars.Zero);
            var rho = (cond.to(int64) * arange(TorchScalars.One, end, TorchScalars.One, device: delta.device)).argmax(1, keepdim: true);
            var theta = cums.gather(1, rho) / rho.Plus(1).to(delta.dtype);
            var shrunk = delta.sign() * (abs - theta).clamp_min(TorchScalars.Zero);
            result = where(inside, delta, shrunk);
        }
        return result.view(sample.shape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Greater(Tensor a, Tensor b) => a.gt(b);

    /// <inheritdoc/>
    public Tensor WhereRows(Tensor mask, Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var rows = mask.dtype == ScalarType.Bool ? mask : mask.ne(TorchScalars.Zero);
        var shape = new long[a.dim()];
        shape[0] = a.size(0);
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        return where(rows.view(shape), a, b).MoveToOuterDisposeScope();
    }

    // ---- Reductions to numbers --------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public double Sum(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.sum().to(float64).item<double>();
    }

    /// <inheritdoc/>
    public double Mean(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.mean().to(float64).item<double>();
    }

    /// <inheritdoc/>
    public double Dot(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a * b).sum().to(float64).item<double>();
    }

    /// <inheritdoc/>
    public (double Min, double Max) Extrema(Tensor x)
    {
        if (x.numel() == 0) return (double.PositiveInfinity, double.NegativeInfinity);
        using var scope = NewDisposeScope();
        return (x.min().to(float64).item<double>(), x.max().to(float64).item<double>());
    }

    /// <inheritdoc/>
    public IDisposable Untracked() => no_grad();
}
