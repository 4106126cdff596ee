using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// An adjoint's sweeps with the batch split into row blocks on threads of the engine's own (<see cref="IRowBlocks"/>):
/// each block runs the forward, reverse, tangent and second-order sweeps of its rows on its thread, the per-sample
/// results (x(T), p(0), σ(T), μ(0)) are joined in row order and the control sums (Σᵢ over the batch) are added block by
/// block in block order, so the result is deterministic and equals the unsplit one to rounding. Only with constant steps:
/// an adaptive controller's step sizes depend on the whole batch's error, so the blocks would take other steps.
/// </summary>
internal static class RowBlockSweep
{
    /// <summary>The forward sweep of <paramref name="adjoint"/>, split into row blocks when the engine asks for more than one.</summary>
    public static Fin<IForwardSweep<T>> Forward<T>(IAdjointMethod adjoint, IVectorField<T> field, OdeSolver solver, T x0)
    {
        var engine = field.Engine;
        if (engine is not IRowBlocks split || solver.Controller is not ConstantSteps) return adjoint.Forward(field, solver, x0);
        long batch = engine.BatchSize(x0);
        int blocks = split.RowBlocks(batch);
        if (blocks < 2) return adjoint.Forward(field, solver, x0);
        var threads = split.LeaseThreads(blocks);
        var sweep = new Sweep<T>(engine, threads, batch);
        var views = sweep.Split(x0);
        var scopes = new IDisposable[blocks];
        var parts = new Fin<IForwardSweep<T>>[blocks];
        threads.Run(b =>
        {
            // The block's values live in this scope on the block's thread until the sweep is disposed.
            scopes[b] = engine.OpenScope();
            parts[b] = adjoint.Forward(field, solver, views[b]);
        });
        return sweep.Start(scopes, parts);
    }

    private sealed class Sweep<T>(IEngine<T> engine, IRowBlockThreads threads, long batch) : IForwardSweep<T>
    {
        private readonly IEngine<T> _engine = engine;
        private readonly IRowBlockThreads _threads = threads;
        private readonly int _blocks = threads.Blocks;
        private IDisposable[] _scopes = [];
        private IForwardSweep<T>[] _parts = [];

        public T Final { get; private set; } = default!;
        public SolveStatistics Statistics => _parts[0].Statistics;

        /// <summary>The rows of every block (<see cref="RowBlockSums.Range"/>), as views.</summary>
        public T[] Split(T x)
        {
            var views = new T[_blocks];
            for (int b = 0; b < _blocks; b++)
            {
                var (start, count) = RowBlockSums.Range(batch, _blocks, b);
                views[b] = _engine.Rows(x, start, count);
            }
            return views;
        }

        public Fin<IForwardSweep<T>> Start(IDisposable[] scopes, Fin<IForwardSweep<T>>[] parts)
        {
            _scopes = scopes;
            _parts = new IForwardSweep<T>[_blocks];
            Error? failure = null;
            for (int b = 0; b < _blocks; b++) parts[b].Match(p => _parts[b] = p, e => failure ??= e);
            if (failure is not null)
            {
                Dispose();
                return FinFail<IForwardSweep<T>>(failure);
            }
            Final = _engine.Concat(_parts.Select(p => p.Final).ToArray());
            return FinSucc<IForwardSweep<T>>(this);
        }

        public Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls) => Reverse(lambdaT, (part, lambda) => part.Reverse(lambda, withControls));

        public Fin<ReverseResult<T>> ReverseBeforeSecondOrder(T lambdaT) => Reverse(lambdaT, (part, lambda) => part.ReverseBeforeSecondOrder(lambda));

        public Fin<ReverseResult<T>> ReverseBeforeSecondOrderControls(T lambdaT) =>
            Reverse(lambdaT, (part, lambda) => part.ReverseBeforeSecondOrderControls(lambda));

        public Fin<ReverseResult<T>> ReverseForControls(T lambdaT) => Reverse(lambdaT, (part, lambda) => part.ReverseForControls(lambda));

        // Each block's sweep by the same call: the blocks' λ(0) joined, their control sums added.
        private Fin<ReverseResult<T>> Reverse(T lambdaT, Func<IForwardSweep<T>, T, Fin<ReverseResult<T>>> call)
        {
            var lambda = Split(lambdaT);
            var results = new Fin<ReverseResult<T>>[_blocks];
            _threads.Run(b => results[b] = call(_parts[b], lambda[b]));
            return Collect(results).Map(r => new ReverseResult<T>(
                _engine.Concat(r.Select(x => x.Lambda0).ToArray()), Sum(r.Select(x => x.Controls).ToArray()), r[0].Statistics));
        }

        public Fin<ITangentSweep<T>> Tangent(T sigma0)
        {
            var sigma = Split(sigma0);
            var results = new Fin<ITangentSweep<T>>[_blocks];
            _threads.Run(b => results[b] = _parts[b].Tangent(sigma[b]));
            return Collect(results).Match(
                tangents => FinSucc<ITangentSweep<T>>(new TangentSweep(this, tangents, _engine.Concat(tangents.Select(t => t.Final).ToArray()))),
                error =>
                {
                    _threads.Run(b => results[b].IfSucc(t => t.Dispose()));
                    return FinFail<ITangentSweep<T>>(error);
                });
        }

        private static Fin<TResult[]> Collect<TResult>(Fin<TResult>[] results)
        {
            var values = new TResult[results.Length];
            for (int b = 0; b < results.Length; b++)
            {
                if (results[b].IsFail) return results[b].Map(_ => values);
                values[b] = (TResult)results[b];
            }
            return FinSucc(values);
        }

        private IReadOnlyList<T> Sum(IReadOnlyList<T>[] blocks) => RowBlockSums.Sum(_engine, blocks);

        public void Dispose()
        {
            if (_scopes.Length == 0) return;
            var (parts, scopes) = (_parts, _scopes);
            _threads.Run(b =>
            {
                parts[b]?.Dispose();
                scopes[b]?.Dispose();
            });
            (_parts, _scopes) = ([], []);
            _threads.Dispose();
        }

        private sealed class TangentSweep(Sweep<T> owner, ITangentSweep<T>[] parts, T final) : ITangentSweep<T>
        {
            private bool _disposed;
            public T Final => final;
            public SolveStatistics Statistics => parts[0].Statistics;

            public Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT) => Reverse(lambdaT, muT, (part, l, m) => part.Reverse(l, m));

            public Fin<SecondOrderReverseResult<T>> ReverseForControls(T lambdaT, T muT) => Reverse(lambdaT, muT, (part, l, m) => part.ReverseForControls(l, m));

            public Fin<SecondOrderReverseResult<T>> ReverseForSecondOrderControls(T lambdaT, T muT, bool inputCotangents) =>
                Reverse(lambdaT, muT, (part, l, m) => part.ReverseForSecondOrderControls(l, m, inputCotangents), firstOrder: false);

            // Each block's sweep by the same call: the blocks' λ(0), μ(0) joined, their control sums added (ū₁ only when formed).
            private Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT, Func<ITangentSweep<T>, T, T, Fin<SecondOrderReverseResult<T>>> call,
                bool firstOrder = true)
            {
                var (lambda, mu) = (owner.Split(lambdaT), owner.Split(muT));
                var results = new Fin<SecondOrderReverseResult<T>>[parts.Length];
                owner._threads.Run(b => results[b] = call(parts[b], lambda[b], mu[b]));
                var e = owner._engine;
                return Collect(results).Map(r => new SecondOrderReverseResult<T>(
                    e.Concat(r.Select(x => x.Lambda0).ToArray()), e.Concat(r.Select(x => x.Mu0).ToArray()),
                    firstOrder ? owner.Sum(r.Select(x => x.Controls).ToArray()) : [], owner.Sum(r.Select(x => x.SecondOrderControls).ToArray()),
                    r[0].Statistics));
            }

            public void Dispose()
            {
                if (_disposed) return;
                _disposed = true;
                owner._threads.Run(b => parts[b].Dispose());
            }
        }
    }
}
