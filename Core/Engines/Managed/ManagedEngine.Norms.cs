using RobustNode.Core.Engines.Managed.Kernels;
using RobustNode.Core.Norms;

namespace RobustNode.Core.Engines.Managed;

// The attack ball: per-sample dual norms, their gradients and projections (samples flattened to rows), per-sample
// selection, and the reductions of whole values to numbers.
public sealed partial class ManagedEngine<TScalar>
{
    /// <inheritdoc/>
    public ManagedTensor<TScalar> DualNorm(AttackNorm norm, ManagedTensor<TScalar> g)
    {
        var (batch, n) = Samples("DualNorm", "g", g);
        var source = g.Span;
        var result = New(ManagedShape.Of(batch));
        var destination = result.Span;
        double dualQ = norm.DualQ;
        for (int i = 0; i < batch; i++) destination[i] = NormKernels<TScalar>.Norm(source.Slice(i * n, n), dualQ);
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> DualNormGradient(AttackNorm norm, ManagedTensor<TScalar> g)
    {
        var (batch, n) = Samples("DualNormGradient", "g", g);
        var result = New(g.Shape);
        Blocks.Run(Threads, batch, Blocks.RowBlock(n), (long)batch * n, (g, result, n, dualQ: norm.DualQ),
            static (s, start, end) =>
            {
                var source = s.g.Span;
                var destination = s.result.Span;
                for (int i = start; i < end; i++)
                    NormKernels<TScalar>.NormGradient(source.Slice(i * s.n, s.n), s.dualQ, destination.Slice(i * s.n, s.n));
            });
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Project(AttackNorm norm, ManagedTensor<TScalar> delta, double radius)
    {
        var (batch, n) = Samples("Project", "delta", delta);
        var result = New(delta.Shape);
        using var sorted = Scratch(double.IsPositiveInfinity(norm.Q) || norm.Q == 2 ? 0 : delta.Count, out _);
        Blocks.Run(Threads, batch, Blocks.RowBlock(n), (long)batch * n, (delta, result, sorted: sorted.Value, n, q: norm.Q, radius),
            static (s, start, end) =>
            {
                var source = s.delta.Span;
                var destination = s.result.Span;
                var scratch = s.sorted.Span;
                for (int i = start; i < end; i++)
                    NormKernels<TScalar>.Project(source.Slice(i * s.n, s.n), s.q, s.radius, destination.Slice(i * s.n, s.n),
                        s.q == 1 ? scratch.Slice(i * s.n, s.n) : default);
            });
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Greater(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        SameShape("Greater", a, b);
        var result = New(a.Shape);
        ElementwiseKernels<TScalar>.Greater(a.Span, b.Span, result.Span);
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> WhereRows(ManagedTensor<TScalar> mask, ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        var (batch, n) = Samples("WhereRows", "a", a);
        SameShape("WhereRows", a, b);
        if (Live(mask).Shape.Rank != 1 || mask.Shape[0] != batch)
            throw new ArgumentException($"WhereRows: the mask must be [{batch}], got {mask.Shape}");
        var m = mask.Span;
        var x = a.Span;
        var y = b.Span;
        var result = New(a.Shape);
        var destination = result.Span;
        for (int i = 0; i < batch; i++)
            (m[i] != TScalar.Zero ? x : y).Slice(i * n, n).CopyTo(destination.Slice(i * n, n));
        return result;
    }

    // ---- Reductions to numbers --------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public double Sum(ManagedTensor<TScalar> x) => ReductionKernels<TScalar>.Sum(x.Span);

    /// <inheritdoc/>
    public double Mean(ManagedTensor<TScalar> x)
    {
        var span = x.Span;
        return ReductionKernels<TScalar>.Sum(span) / span.Length;
    }

    /// <inheritdoc/>
    public double Dot(ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        SameShape("Dot", a, b);
        return ReductionKernels<TScalar>.Dot(a.Span, b.Span);
    }

    /// <inheritdoc/>
    public (double Min, double Max) Extrema(ManagedTensor<TScalar> x) => ReductionKernels<TScalar>.Extrema(x.Span);
}
