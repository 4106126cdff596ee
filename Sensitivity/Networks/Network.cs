using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// A network as a composition of blocks, e.g. stem → ODE block → head. It is itself a block: its forward sweep
/// chains the blocks' sweeps, its reverse sweeps run them in reverse order (chain rule for first- and
/// second-order cotangents: μ_in of a block is μ_out of the one before).
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed record Network<T>(IReadOnlyList<IBlock<T>> Blocks) : IBlock<T>
{
    /// <inheritdoc/>
    public IEngine<T> Engine => Blocks[0].Engine;

    /// <inheritdoc/>
    public string Name => "network";

    /// <inheritdoc/>
    public bool RowsIndependent => Blocks.All(b => b.RowsIndependent);

    /// <inheritdoc/>
    public IReadOnlyList<T> Parameters
    {
        get
        {
            var parameters = new List<T>();
            foreach (var block in Blocks) parameters.AddRange(block.Parameters);
            return parameters;
        }
    }

    /// <inheritdoc/>
    public IBlock<T> WithParameters(IReadOnlyList<T> values)
    {
        int offset = 0;
        var blocks = new IBlock<T>[Blocks.Count];
        for (int b = 0; b < blocks.Length; b++)
        {
            int n = Blocks[b].Parameters.Count;
            var part = new T[n];
            for (int i = 0; i < n; i++) part[i] = values[offset + i];
            blocks[b] = Blocks[b].WithParameters(part);
            offset += n;
        }
        return new Network<T>(blocks);
    }

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape)
    {
        var shape = FinSucc(inputShape);
        foreach (var block in Blocks) shape = shape.Bind(block.OutputShape);
        return shape;
    }

    /// <inheritdoc/>
    public Fin<IForwardSweep<T>> Forward(T input) =>
        OutputShape(Engine.Shape(input)).Bind(_ =>
        {
            var sweeps = new List<IForwardSweep<T>>(Blocks.Count);
            var z = input;
            foreach (var block in Blocks)
            {
                var sweep = block.Forward(z);
                if (sweep.IsFail)
                {
                    foreach (var s in sweeps) s.Dispose();
                    return sweep;
                }
                var forward = sweep.Value();
                sweeps.Add(forward);
                z = forward.Final;
            }
            return FinSucc<IForwardSweep<T>>(new Sweep(sweeps));
        });

    private sealed class Sweep(IReadOnlyList<IForwardSweep<T>> sweeps) : IForwardSweep<T>
    {
        public T Final => sweeps[^1].Final;

        public SolveStatistics Statistics
        {
            get
            {
                var total = SolveStatistics.Zero;
                foreach (var s in sweeps) total += s.Statistics;
                return total;
            }
        }

        public Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls) => Chain(lambdaT, (sweep, _, lambda) => sweep.Reverse(lambda, withControls));

        public Fin<ReverseResult<T>> ReverseBeforeSecondOrder(T lambdaT) => Chain(lambdaT, (sweep, _, lambda) => sweep.ReverseBeforeSecondOrder(lambda));

        public Fin<ReverseResult<T>> ReverseBeforeSecondOrderControls(T lambdaT) =>
            Chain(lambdaT, (sweep, _, lambda) => sweep.ReverseBeforeSecondOrderControls(lambda));

        // Only the first block's λ(0) is the network's, the one a caller may not want.
        public Fin<ReverseResult<T>> ReverseForControls(T lambdaT) =>
            Chain(lambdaT, (sweep, i, lambda) => i == 0 ? sweep.ReverseForControls(lambda) : sweep.Reverse(lambda, true));

        // The blocks from last to first, each given the next one's λ(0) by the call `block` makes on block i.
        private Fin<ReverseResult<T>> Chain(T lambdaT, Func<IForwardSweep<T>, int, T, Fin<ReverseResult<T>>> block)
        {
            var lambda = lambdaT;
            var grads = new IReadOnlyList<T>[sweeps.Count];
            var stats = SolveStatistics.Zero;
            for (int i = sweeps.Count - 1; i >= 0; i--)
            {
                var r = block(sweeps[i], i, lambda);
                if (r.IsFail) return r;
                var result = (ReverseResult<T>)r;
                grads[i] = result.Controls;
                stats += result.Statistics;
                lambda = result.Lambda0;
            }
            return new ReverseResult<T>(lambda, Concat(grads), stats);
        }

        public Fin<ITangentSweep<T>> Tangent(T sigma0)
        {
            var tangents = new List<ITangentSweep<T>>(sweeps.Count);
            var sigma = sigma0;
            foreach (var sweep in sweeps)
            {
                var t = sweep.Tangent(sigma);
                if (t.IsFail)
                {
                    foreach (var done in tangents) done.Dispose();
                    return t;
                }
                var tangent = t.Value();
                tangents.Add(tangent);
                sigma = tangent.Final;
            }
            return FinSucc<ITangentSweep<T>>(new TangentSweep(tangents));
        }

        public void Dispose() { foreach (var s in sweeps) s.Dispose(); }
    }

    private sealed class TangentSweep(IReadOnlyList<ITangentSweep<T>> tangents) : ITangentSweep<T>
    {
        public T Final => tangents[^1].Final;

        public SolveStatistics Statistics
        {
            get
            {
                var total = SolveStatistics.Zero;
                foreach (var t in tangents) total += t.Statistics;
                return total;
            }
        }

        public Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT) => Chain(lambdaT, muT, (tangent, _, l, m) => tangent.Reverse(l, m));

        public Fin<SecondOrderReverseResult<T>> ReverseForControls(T lambdaT, T muT) =>
            Chain(lambdaT, muT, (tangent, i, l, m) => i == 0 ? tangent.ReverseForControls(l, m) : tangent.Reverse(l, m));

        // No block's ū₁ is read (a block may still return it), so the network returns none.
        public Fin<SecondOrderReverseResult<T>> ReverseForSecondOrderControls(T lambdaT, T muT, bool inputCotangents) =>
            Chain(lambdaT, muT, (tangent, i, l, m) => tangent.ReverseForSecondOrderControls(l, m, inputCotangents || i > 0))
                .Map(r => r with { Controls = [] });

        // The blocks from last to first, each given the next one's λ(0) and μ(0) by the call `block` makes on block i.
        private Fin<SecondOrderReverseResult<T>> Chain(T lambdaT, T muT, Func<ITangentSweep<T>, int, T, T, Fin<SecondOrderReverseResult<T>>> block)
        {
            var (lambda, mu) = (lambdaT, muT);
            var first = new IReadOnlyList<T>[tangents.Count];
            var second = new IReadOnlyList<T>[tangents.Count];
            var stats = SolveStatistics.Zero;
            for (int i = tangents.Count - 1; i >= 0; i--)
            {
                var r = block(tangents[i], i, lambda, mu);
                if (r.IsFail) return r;
                var result = (SecondOrderReverseResult<T>)r;
                first[i] = result.Controls;
                second[i] = result.SecondOrderControls;
                stats += result.Statistics;
                (lambda, mu) = (result.Lambda0, result.Mu0);
            }
            return new SecondOrderReverseResult<T>(lambda, mu, Concat(first), Concat(second), stats);
        }

        public void Dispose() { foreach (var t in tangents) t.Dispose(); }
    }

    private static T[] Concat(IReadOnlyList<T>[] parts)
    {
        int n = 0;
        foreach (var p in parts) n += p.Count;
        var all = new T[n];
        int i = 0;
        foreach (var p in parts)
            foreach (var v in p) all[i++] = v;
        return all;
    }
}

/// <summary>Builds <see cref="Network{T}"/> values.</summary>
public static class Network
{
    /// <summary>The composition of the blocks, in order.</summary>
    public static Network<T> Of<T>(params IBlock<T>[] blocks) => new(blocks);
}
