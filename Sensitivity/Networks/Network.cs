using LanguageExt;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// A network as a composition of blocks, e.g. stem → ODE block → head. It is itself a block: its forward sweep
/// chains the blocks' sweeps, its reverse sweeps run them in reverse order (chain rule for first- and
/// second-order cotangents: μ_in of a block is μ_out of the one before).
/// </summary>
public sealed record Network(IReadOnlyList<IBlock> Blocks) : IBlock
{
    public string Name => "network";

    public IReadOnlyList<Tensor> Parameters => Blocks.SelectMany(b => b.Parameters).ToArray();

    public IBlock WithParameters(IReadOnlyList<Tensor> values)
    {
        int offset = 0;
        var blocks = new List<IBlock>();
        foreach (var block in Blocks)
        {
            int n = block.Parameters.Count;
            blocks.Add(block.WithParameters(values.Skip(offset).Take(n).ToArray()));
            offset += n;
        }
        return new Network(blocks);
    }

    public Fin<long[]> OutputShape(long[] inputShape) =>
        Blocks.Aggregate(FinSucc(inputShape), (shape, block) => shape.Bind(block.OutputShape));

    public Fin<IForwardSweep> Forward(Tensor input) =>
        OutputShape(input.shape).Bind(_ =>
        {
            var sweeps = new List<IForwardSweep>();
            var z = input;
            foreach (var block in Blocks)
            {
                var sweep = block.Forward(z);
                if (sweep.IsFail)
                {
                    foreach (var s in sweeps) s.Dispose();
                    return sweep;
                }
                var forward = sweep.Match(Succ: s => s, Fail: _ => default(IForwardSweep)!);
                sweeps.Add(forward);
                z = forward.Final;
            }
            return FinSucc<IForwardSweep>(new Sweep(sweeps));
        });

    private sealed class Sweep(IReadOnlyList<IForwardSweep> sweeps) : IForwardSweep
    {
        public Tensor Final => sweeps[^1].Final;
        public SolveStatistics Statistics => sweeps.Aggregate(SolveStatistics.Zero, (s, b) => s + b.Statistics);

        public Fin<ReverseResult> Reverse(Tensor lambdaT, bool withControls)
        {
            var lambda = lambdaT;
            var grads = new List<IReadOnlyList<Tensor>>();
            var stats = SolveStatistics.Zero;
            for (int i = sweeps.Count - 1; i >= 0; i--)
            {
                var r = sweeps[i].Reverse(lambda, withControls);
                if (r.IsFail) return r;
                var result = (ReverseResult)r;
                grads.Insert(0, result.Controls);
                stats += result.Statistics;
                lambda = result.Lambda0;
            }
            return new ReverseResult(lambda, grads.SelectMany(g => g).ToArray(), stats);
        }

        public Fin<ITangentSweep> Tangent(Tensor sigma0)
        {
            var tangents = new List<ITangentSweep>();
            var sigma = sigma0;
            foreach (var sweep in sweeps)
            {
                var t = sweep.Tangent(sigma);
                if (t.IsFail)
                {
                    foreach (var done in tangents) done.Dispose();
                    return t;
                }
                var tangent = t.Match(Succ: s => s, Fail: _ => default(ITangentSweep)!);
                tangents.Add(tangent);
                sigma = tangent.Final;
            }
            return FinSucc<ITangentSweep>(new TangentSweep(tangents));
        }

        public void Dispose() { foreach (var s in sweeps) s.Dispose(); }
    }

    private sealed class TangentSweep(IReadOnlyList<ITangentSweep> tangents) : ITangentSweep
    {
        public Tensor Final => tangents[^1].Final;
        public SolveStatistics Statistics => tangents.Aggregate(SolveStatistics.Zero, (s, b) => s + b.Statistics);

        public Fin<SecondOrderReverseResult> Reverse(Tensor lambdaT, Tensor muT)
        {
            var (lambda, mu) = (lambdaT, muT);
            var first = new List<IReadOnlyList<Tensor>>();
            var second = new List<IReadOnlyList<Tensor>>();
            var stats = SolveStatistics.Zero;
            for (int i = tangents.Count - 1; i >= 0; i--)
            {
                var r = tangents[i].Reverse(lambda, mu);
                if (r.IsFail) return r;
                var result = (SecondOrderReverseResult)r;
                first.Insert(0, result.Controls);
                second.Insert(0, result.SecondOrderControls);
                stats += result.Statistics;
                (lambda, mu) = (result.Lambda0, result.Mu0);
            }
            return new SecondOrderReverseResult(lambda, mu, first.SelectMany(g => g).ToArray(), second.SelectMany(g => g).ToArray(), stats);
        }

        public void Dispose() { foreach (var t in tangents) t.Dispose(); }
    }
}
