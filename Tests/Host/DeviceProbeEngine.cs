using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Tests.Host;

/// <summary>
/// The TorchSharp engine, watched: every tensor handed to it or made by it is checked against a device, and the first
/// one elsewhere is remembered. Registered under the name "torch", it lets a verb run exactly as usual while a test
/// learns whether everything it computed lived on the configured device; under another name it stands in for a second
/// engine that computes exactly as TorchSharp does.
/// </summary>
public sealed class DeviceProbeEngine(Device device, string name = "torch") : IEngine<Tensor>
{
    private static readonly TorchEngine E = TorchEngine.Instance;

    /// <summary>Tensors seen.</summary>
    public long Seen { get; private set; }

    /// <summary>The first tensor seen on another device, described; null while every one was on the device.</summary>
    public string? Misplaced { get; private set; }

    private Tensor See(Tensor t, string where)
    {
        Seen++;
        if (Misplaced is null && (t.device_type != device.type || t.device_index != device.index))
            Misplaced = $"{where}: a tensor on {t.device}, not {device}";
        return t;
    }

    private Tensor? See(Tensor? t, string where, bool optional) => t is null ? null : See(t, where);

    private void See(ReadOnlySpan<Tensor> ts, string where) { foreach (var t in ts) if (t is not null) See(t, where); }

    public string Name => name;
    public Tensor AddScaled(Tensor y, ReadOnlySpan<double> weights, ReadOnlySpan<Tensor> terms)
    {
        See(y, nameof(AddScaled));
        for (int i = 0; i < weights.Length; i++) if (weights[i] != 0) See(terms[i], nameof(AddScaled));
        return See(E.AddScaled(y, weights, terms), nameof(AddScaled));
    }
    public Tensor LinearCombination(ReadOnlySpan<double> weights, ReadOnlySpan<Tensor> terms)
    {
        for (int i = 0; i < weights.Length; i++) if (weights[i] != 0) See(terms[i], nameof(LinearCombination));
        return See(E.LinearCombination(weights, terms), nameof(LinearCombination));
    }
    public (double SumOfSquares, long Count) ScaledSquares(Tensor v, Tensor ya, Tensor yb, double rtol, double atol) =>
        E.ScaledSquares(See(v, "ScaledSquares"), See(ya, "ScaledSquares"), See(yb, "ScaledSquares"), rtol, atol);
    public bool IsFinite(Tensor y) => E.IsFinite(See(y, nameof(IsFinite)));
    public IDisposable OpenScope() => E.OpenScope();
    public Tensor Keep(Tensor y) => E.Keep(See(y, nameof(Keep)));
    public void Release(Tensor y) => E.Release(y);
    public long[] Shape(Tensor x) => E.Shape(x);
    public long BatchSize(Tensor x) => E.BatchSize(x);
    public Tensor Zeros(Tensor like, params ReadOnlySpan<long> shape) => See(E.Zeros(See(like, nameof(Zeros)), shape), nameof(Zeros));
    public Tensor ZerosLike(Tensor x) => See(E.ZerosLike(See(x, nameof(ZerosLike))), nameof(ZerosLike));
    public Tensor Clone(Tensor x) => See(E.Clone(See(x, nameof(Clone))), nameof(Clone));
    public Tensor FromValues(ReadOnlySpan<double> values, Tensor like, params ReadOnlySpan<long> shape) => See(E.FromValues(values, See(like, nameof(FromValues)), shape), nameof(FromValues));
    public double[] ToArray(Tensor x) => E.ToArray(See(x, nameof(ToArray)));
    public Tensor FromTensor(Tensor tensor) => See(E.FromTensor(tensor), nameof(FromTensor));
    public Tensor ToTensor(Tensor x) => E.ToTensor(See(x, nameof(ToTensor)));
    public ScalarType DType(Tensor x) => E.DType(x);
    public bool IsFloatingPoint(Tensor x) => E.IsFloatingPoint(x);
    public string? Incompatibility(Tensor reference, Tensor x) => E.Incompatibility(reference, x);
    public Tensor DetachFromScope(Tensor x) => See(E.DetachFromScope(x), nameof(DetachFromScope));
    public Tensor Select(Tensor x, long index) => See(E.Select(See(x, nameof(Select)), index), nameof(Select));
    public Tensor Rows(Tensor x, long start, long count) => See(E.Rows(See(x, nameof(Rows)), start, count), nameof(Rows));
    public Tensor GatherRows(Tensor x, ReadOnlySpan<long> rows) => See(E.GatherRows(See(x, nameof(GatherRows)), rows), nameof(GatherRows));
    public Tensor Reshape(Tensor x, params ReadOnlySpan<long> shape) => See(E.Reshape(See(x, nameof(Reshape)), shape), nameof(Reshape));
    public Tensor PadColumns(Tensor x, long width) => See(E.PadColumns(See(x, nameof(PadColumns)), width), nameof(PadColumns));
    public Tensor FirstColumns(Tensor x, long count) => See(E.FirstColumns(See(x, nameof(FirstColumns)), count), nameof(FirstColumns));
    public Tensor Concat(IReadOnlyList<Tensor> parts) { foreach (var p in parts) See(p, nameof(Concat)); return See(E.Concat(parts), nameof(Concat)); }
    public Tensor Add(Tensor a, Tensor b, double alpha = 1) => See(E.Add(See(a, nameof(Add)), See(b, nameof(Add)), alpha), nameof(Add));
    public Tensor Multiply(Tensor a, Tensor b) => See(E.Multiply(See(a, nameof(Multiply)), See(b, nameof(Multiply))), nameof(Multiply));
    public Tensor Scale(Tensor a, double s) => See(E.Scale(See(a, nameof(Scale)), s), nameof(Scale));
    public Tensor ScaleRows(Tensor x, Tensor factors) => See(E.ScaleRows(See(x, nameof(ScaleRows)), See(factors, nameof(ScaleRows))), nameof(ScaleRows));
    public Tensor Sign(Tensor a) => See(E.Sign(See(a, nameof(Sign))), nameof(Sign));
    public Tensor Clamp(Tensor a, double min, double max) => See(E.Clamp(See(a, nameof(Clamp)), min, max), nameof(Clamp));
    public void AddInPlace(Tensor y, Tensor x, double alpha = 1) => E.AddInPlace(See(y, nameof(AddInPlace)), See(x, nameof(AddInPlace)), alpha);
    public void ScaleInPlace(Tensor y, double s) => E.ScaleInPlace(See(y, nameof(ScaleInPlace)), s);
    public void AddProductInPlace(Tensor y, Tensor a, Tensor b, double alpha) => E.AddProductInPlace(See(y, "AddProduct"), See(a, "AddProduct"), See(b, "AddProduct"), alpha);
    public void AddQuotientInPlace(Tensor y, Tensor a, Tensor b, double alpha) => E.AddQuotientInPlace(See(y, "AddQuotient"), See(a, "AddQuotient"), See(b, "AddQuotient"), alpha);
    public void SqrtAddInPlace(Tensor y, double c) => E.SqrtAddInPlace(See(y, nameof(SqrtAddInPlace)), c);
    public void CopyInPlace(Tensor destination, Tensor source) => E.CopyInPlace(See(destination, nameof(CopyInPlace)), See(source, nameof(CopyInPlace)));
    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => See(E.Linear(See(x, nameof(Linear)), See(weight, nameof(Linear)), See(bias, nameof(Linear), true)), nameof(Linear));
    public Tensor MatMul(Tensor a, Tensor b) => See(E.MatMul(See(a, nameof(MatMul)), See(b, nameof(MatMul))), nameof(MatMul));
    public (Tensor First, Tensor Second) SecondOrderPullback(Tensor p, Tensor m, Tensor weight, Tensor s, Tensor d1, Tensor d2)
    {
        var (first, second) = E.SecondOrderPullback(See(p, nameof(SecondOrderPullback)), See(m, nameof(SecondOrderPullback)), See(weight, nameof(SecondOrderPullback)),
            See(s, nameof(SecondOrderPullback)), See(d1, nameof(SecondOrderPullback)), See(d2, nameof(SecondOrderPullback)));
        return (See(first, nameof(SecondOrderPullback)), See(second, nameof(SecondOrderPullback)));
    }
    public Tensor TransposedMatMul(Tensor a, Tensor b) => See(E.TransposedMatMul(See(a, nameof(TransposedMatMul)), See(b, nameof(TransposedMatMul))), nameof(TransposedMatMul));
    public Tensor SumRows(Tensor x) => See(E.SumRows(See(x, nameof(SumRows))), nameof(SumRows));
    public void AddTransposedMatMulInPlace(Tensor y, Tensor a, Tensor b, double alpha = 1) => E.AddTransposedMatMulInPlace(See(y, "AddTransposedMatMul"), See(a, "AddTransposedMatMul"), See(b, "AddTransposedMatMul"), alpha);
    public void AddSumRowsInPlace(Tensor y, Tensor x, double alpha = 1) => E.AddSumRowsInPlace(See(y, nameof(AddSumRowsInPlace)), See(x, nameof(AddSumRowsInPlace)), alpha);
    public Tensor SumPerSample(Tensor x) => See(E.SumPerSample(See(x, nameof(SumPerSample))), nameof(SumPerSample));
    public Tensor Activate(Activation activation, Tensor x) => See(E.Activate(activation, See(x, nameof(Activate))), nameof(Activate));
    public Tensor ActivationDerivative(Activation activation, Tensor x, Tensor value) => See(E.ActivationDerivative(activation, See(x, "σ'"), See(value, "σ'")), "σ'");
    public Tensor ActivationSecondDerivative(Activation activation, Tensor x, Tensor value, Tensor derivative) =>
        See(E.ActivationSecondDerivative(activation, See(x, "σ''"), See(value, "σ''"), See(derivative, "σ''")), "σ''");
    public Tensor CrossEntropy(Tensor logits, Tensor labels) => See(E.CrossEntropy(See(logits, nameof(CrossEntropy)), See(labels, nameof(CrossEntropy))), nameof(CrossEntropy));
    public Tensor CrossEntropyGradient(Tensor logits, Tensor labels) => See(E.CrossEntropyGradient(See(logits, "∇CE"), See(labels, "∇CE")), "∇CE");
    public Tensor CrossEntropyHessianVectorProduct(Tensor logits, Tensor s) => See(E.CrossEntropyHessianVectorProduct(See(logits, "∇²CE"), See(s, "∇²CE")), "∇²CE");
    public Tensor Softmax(Tensor logits) => See(E.Softmax(See(logits, nameof(Softmax))), nameof(Softmax));
    public Tensor ArgMax(Tensor logits) => See(E.ArgMax(See(logits, nameof(ArgMax))), nameof(ArgMax));
    public long CountEqual(Tensor a, Tensor b) => E.CountEqual(See(a, nameof(CountEqual)), See(b, nameof(CountEqual)));
    public Tensor DualNorm(AttackNorm norm, Tensor g) => See(E.DualNorm(norm, See(g, nameof(DualNorm))), nameof(DualNorm));
    public Tensor DualNormGradient(AttackNorm norm, Tensor g) => See(E.DualNormGradient(norm, See(g, nameof(DualNormGradient))), nameof(DualNormGradient));
    public Tensor Project(AttackNorm norm, Tensor delta, double radius) => See(E.Project(norm, See(delta, nameof(Project)), radius), nameof(Project));
    public Tensor Greater(Tensor a, Tensor b) => See(E.Greater(See(a, nameof(Greater)), See(b, nameof(Greater))), nameof(Greater));
    public Tensor WhereRows(Tensor mask, Tensor a, Tensor b) => See(E.WhereRows(See(mask, nameof(WhereRows)), See(a, nameof(WhereRows)), See(b, nameof(WhereRows))), nameof(WhereRows));
    public double Sum(Tensor x) => E.Sum(See(x, nameof(Sum)));
    public double Mean(Tensor x) => E.Mean(See(x, nameof(Mean)));
    public double Dot(Tensor a, Tensor b) => E.Dot(See(a, nameof(Dot)), See(b, nameof(Dot)));
    public (double Min, double Max) Extrema(Tensor x) => E.Extrema(See(x, nameof(Extrema)));
    public IDisposable Untracked() => E.Untracked();
}
