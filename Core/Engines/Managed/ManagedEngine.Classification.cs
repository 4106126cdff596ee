using RobustNode.Core.Engines.Managed.Kernels;

namespace RobustNode.Core.Engines.Managed;

// Softmax cross-entropy and classification with labels stored as whole numbers of the element type.
public sealed partial class ManagedEngine<TScalar>
{
    /// <inheritdoc/>
    public ManagedTensor<TScalar> CrossEntropy(ManagedTensor<TScalar> logits, ManagedTensor<TScalar> labels)
    {
        var (batch, m) = Matrix("CrossEntropy", "logits", logits);
        CheckLabels("CrossEntropy", labels, batch, m);
        using var e = Scratch(batch * m, out _);
        using var max = Scratch(batch, out _);
        using var sum = Scratch(batch, out _);
        var result = New(ManagedShape.Of(batch));
        Blocks.Run(Threads, batch, Blocks.RowBlock(m), (long)batch * m, (logits, labels, e: e.Value, max: max.Value, sum: sum.Value, result, m),
            static (s, start, end) =>
            {
                ClassificationKernels<TScalar>.Exponentials(s.logits.Span, s.m, s.e.Span, s.max.Span, s.sum.Span, start, end);
                ClassificationKernels<TScalar>.Loss(s.logits.Span, s.m, s.labels.Span, s.max.Span, s.sum.Span, s.result.Span, start, end);
            });
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> CrossEntropyGradient(ManagedTensor<TScalar> logits, ManagedTensor<TScalar> labels)
    {
        var (batch, m) = Matrix("CrossEntropyGradient", "logits", logits);
        CheckLabels("CrossEntropyGradient", labels, batch, m);
        var result = Softmax(logits);
        ClassificationKernels<TScalar>.SubtractOneHot(result.Span, m, labels.Span, 0, batch);
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> CrossEntropyHessianVectorProduct(ManagedTensor<TScalar> logits, ManagedTensor<TScalar> s)
    {
        var (batch, m) = Matrix("CrossEntropyHessianVectorProduct", "logits", logits);
        SameShape("CrossEntropyHessianVectorProduct", logits, s);
        var result = Softmax(logits);
        Blocks.Run(Threads, batch, Blocks.RowBlock(m), (long)batch * m, (result, s, m),
            static (t, start, end) => ClassificationKernels<TScalar>.HessianVectorProduct(t.result.Span, t.s.Span, t.m, start, end));
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Softmax(ManagedTensor<TScalar> logits)
    {
        var (batch, m) = Matrix("Softmax", "logits", logits);
        using var max = Scratch(batch, out _);
        using var sum = Scratch(batch, out _);
        var result = New(logits.Shape);
        Blocks.Run(Threads, batch, Blocks.RowBlock(m), (long)batch * m, (logits, max: max.Value, sum: sum.Value, result, m),
            static (s, start, end) =>
            {
                ClassificationKernels<TScalar>.Exponentials(s.logits.Span, s.m, s.result.Span, s.max.Span, s.sum.Span, start, end);
                ClassificationKernels<TScalar>.Normalize(s.result.Span, s.m, s.sum.Span, start, end);
            });
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> ArgMax(ManagedTensor<TScalar> logits)
    {
        var (batch, m) = Matrix("ArgMax", "logits", logits);
        if (m == 0) throw new ArgumentException($"ArgMax: logits {logits.Shape} have no columns");
        var source = logits.Span;
        var result = New(ManagedShape.Of(batch));
        var destination = result.Span;
        for (int i = 0; i < batch; i++)
            destination[i] = TScalar.CreateTruncating(ClassificationKernels<TScalar>.ArgMax(source.Slice(i * m, m)));
        return result;
    }

    /// <inheritdoc/>
    public long CountEqual(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        SameShape("CountEqual", a, b);
        var x = a.Span;
        var y = b.Span;
        long count = 0;
        for (int i = 0; i < x.Length; i++)
            if (x[i] == y[i]) count++;
        return count;
    }

    private static void CheckLabels(string operation, ManagedTensor<TScalar> labels, int batch, int classes)
    {
        var shape = Live(labels).Shape;
        if (shape.Rank != 1 || shape[0] != batch)
            throw new ArgumentException($"{operation}: labels must be [{batch}], got {shape}");
        var values = labels.Span;
        for (int i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (!TScalar.IsInteger(v) || v < TScalar.Zero || v >= TScalar.CreateTruncating(classes))
                throw new ArgumentException($"{operation}: label {v} of sample {i} is not a class index 0 … {classes - 1}");
        }
    }
}
