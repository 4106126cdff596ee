using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Discrete;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// The discrete adjoint ("discretize, then optimize"; the seed talk's adjoint method layer by layer): reverse
/// sweeps through every accepted step and every stage of the tableau, giving the exact derivatives of the
/// discretized network. The forward solve records a step tape (each accepted step's start state, time, size and
/// layer) and nothing else: no slopes, no dense output, so a non-FSAL scheme costs s field evaluations per step
/// (Euler: one per layer). No autograd graph is recorded. With adaptive steps the accepted step sizes are treated as
/// constants.
/// </summary>
public sealed record DiscreteAdjoint : IAdjointMethod
{
    /// <inheritdoc/>
    public string Name => "discrete";

    /// <inheritdoc/>
    /// <remarks>
    /// With constant steps and a scheme that is not FSAL, the forward solve evaluates the field through its
    /// linearizations and keeps each stage's (within <see cref="StageLinearizations{T}.BudgetBytes"/>), so that the
    /// reverse, tangent and second-order sweeps reuse them instead of rebuilding the stages; otherwise the first
    /// derivative sweep keeps them for the later ones.
    /// </remarks>
    public Fin<IForwardSweep<T>> Forward<T>(IVectorField<T> field, OdeSolver solver, T x0)
    {
        var tableau = solver.Tableau;
        if (solver.Controller is not ConstantSteps constant || tableau.IsFsal)
            return Ode.Solve(field, x0, solver, new SolveOptions(Tape: true))
                .Map(sol => (IForwardSweep<T>)new Sweep<T>(field, tableau, (StepTape<T>)sol.Tape!, sol.Final, sol.Statistics,
                    new StageLinearizations<T>(field.Engine, sol.Tape!.Count, tableau.Stages)));
        long steps = constant.StepsFor(field.Grid.Boundaries);
        var kept = new StageLinearizations<T>(field.Engine, (int)Math.Min(steps, int.MaxValue), tableau.Stages);
        var recorder = new StageRecorder<T>(field, tableau.Stages, kept);
        var solved = Ode.CheckState(field, x0, "x0").Bind(_ =>
            solver.Solve(field.Engine, new PiecewiseSystem<T>(field.Grid.Boundaries, recorder.Evaluate), x0, new SolveOptions(Tape: true)));
        return solved.Match(
            sol =>
            {
                var tape = (StepTape<T>)sol.Tape!;
                // Every stage of every step in order, or the record cannot be matched to the tape: then none is kept.
                if (recorder.Calls != tape.Count * tableau.Stages)
                {
                    kept.Dispose();
                    kept = new StageLinearizations<T>(field.Engine, tape.Count, tableau.Stages);
                }
                return FinSucc<IForwardSweep<T>>(new Sweep<T>(field, tableau, tape, sol.Final, sol.Statistics, kept));
            },
            error =>
            {
                kept.Dispose();
                return FinFail<IForwardSweep<T>>(error);
            });
    }

    // The sweep owns the tape and the stage linearizations its derivative sweeps keep for each other: disposing it
    // releases them and hands the tape's array back to the pool (no allocation per step in a loop).

    private sealed class Sweep<T>(IVectorField<T> vectorField, ButcherTableau tableau, StepTape<T> steps, T final, SolveStatistics statistics,
        StageLinearizations<T> kept) : IForwardSweep<T>
    {
        private IEngine<T> Engine => vectorField.Engine;
        private readonly StageLinearizations<T> _kept = kept;
        // What the last state-only reverse sweep kept for a second-order sweep from the same λ(T) (fields that share an
        // intermediate between the two, e.g. W ∗ᵀ p of the convolutional field).
        private ReverseProducts<T>? _products;
        public T Final => final;
        public SolveStatistics Statistics => statistics;

        public Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls) => Reverse(lambdaT, withControls, keep: false);

        public Fin<ReverseResult<T>> ReverseBeforeSecondOrder(T lambdaT) => Reverse(lambdaT, false, keep: true);

        public Fin<ReverseResult<T>> ReverseBeforeSecondOrderControls(T lambdaT) => Reverse(lambdaT, false, keep: true, firstOrder: false);

        private Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls, bool keep, bool firstOrder = true)
        {
            var derivatives = new RungeKuttaStepDerivatives<T>(tableau, vectorField, _kept);
            var gradient = withControls ? new ControlAccumulator<T>(Engine, vectorField.Controls) : null;
            _products?.Dispose();
            _products = null;
            if (keep && steps.Count > 0 && Shares(out bool pairs))
                // A field that pairs the control terms gets g_uᵀp from this sweep, in the caller's scope like λ(0).
                _products = new ReverseProducts<T>(Engine, steps.Count, tableau.Stages, lambdaT,
                    pairs && firstOrder ? new ControlAccumulator<T>(Engine, vectorField.Controls) : null, keepsCotangents: pairs);
            var lambda = lambdaT;
            for (int n = steps.Count - 1; n >= 0; n--)
            {
                var previous = lambda;
                lambda = derivatives.Reverse(n, steps[n], lambda, gradient, _products);
                if (n < steps.Count - 1) Engine.Release(previous);
            }
            return FinSucc(new ReverseResult<T>(lambda, gradient?.Gradients ?? [], SolveStatistics.Zero));
        }

        public Fin<ITangentSweep<T>> Tangent(T sigma0)
        {
            var derivatives = new RungeKuttaStepDerivatives<T>(tableau, vectorField, _kept);
            // Rented (and returned by the tangent sweep's Dispose): no allocation per step in a loop of gradients.
            var sigma = System.Buffers.ArrayPool<T>.Shared.Rent(steps.Count + 1);
            sigma[0] = sigma0;
            // With the reverse sweep's kept stage cotangents p, the tangent sweep forms the second-order control terms
            // paired with them (∂ₓ(g_uᵀp)·s) and releases each p as it passes its stage.
            PairedTerms<T>? paired = null;
            if (_products is { KeepsCotangents: true })
            {
                var formed = System.Buffers.ArrayPool<bool>.Shared.Rent(steps.Count * tableau.Stages);
                System.Array.Clear(formed);
                paired = new PairedTerms<T>(new ControlAccumulator<T>(Engine, vectorField.Controls), formed);
            }
            for (int n = 0; n < steps.Count; n++)
                sigma[n + 1] = derivatives.Tangent(n, steps[n], sigma[n], null, _products, paired?.Sums, paired?.Formed);
            return FinSucc<ITangentSweep<T>>(new TangentSweep<T>(vectorField, derivatives, steps, sigma, _products, paired));
        }

        // Whether the field's linearizations share an intermediate between the reverse and second-order stages, and
        // whether they pair the control terms with the reverse sweep's cotangents.
        private bool Shares(out bool pairs)
        {
            using var scope = Engine.OpenScope();
            var point = vectorField.Linearize(steps[0].Piece, steps[0].T0, steps[0].Y0);
            pairs = point.PairsControlTerms;
            return point.SharesReverseProduct;
        }

        public void Dispose()
        {
            _products?.Dispose();
            _products = null;
            _kept.Dispose();
            steps.Dispose();
        }
    }

    // The tangent sweep's sums of ∂ₓ(g_uᵀp)·s over the stages that found the reverse sweep's p, and which stages those were
    // (rented, handed back by the tangent sweep's Dispose).
    private sealed record PairedTerms<T>(ControlAccumulator<T> Sums, bool[] Formed);

    private sealed class TangentSweep<T>(IVectorField<T> vectorField, RungeKuttaStepDerivatives<T> derivatives, IReadOnlyList<TapeStep<T>> steps, T[] sigma,
        ReverseProducts<T>? products, PairedTerms<T>? paired) : ITangentSweep<T>
    {
        private IEngine<T> Engine => vectorField.Engine;
        private T[] _sigma = sigma;
        private readonly int _steps = steps.Count;
        private PairedTerms<T>? _paired = paired;
        private bool[]? _formed = paired?.Formed;
        public T Final => _sigma[_steps];
        public SolveStatistics Statistics => SolveStatistics.Zero;

        public Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT) => Reverse(lambdaT, muT, firstOrderWanted: true);

        // No ū₁ at all (no accumulator, no stage sums it); λ(0) and μ(0) are always formed.
        public Fin<SecondOrderReverseResult<T>> ReverseForSecondOrderControls(T lambdaT, T muT, bool inputCotangents) =>
            Reverse(lambdaT, muT, firstOrderWanted: false);

        private Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT, bool firstOrderWanted)
        {
            var (lambda, mu) = (lambdaT, muT);
            var kept = products is not null && products.Serves(lambdaT) ? products : null;
            // The terms paired with p that the earlier sweeps formed hold only for their λ(T), so only where the kept
            // products serve this one; and only once (they become this sweep's results).
            var paired = _paired;
            _paired = null;
            var formerFirst = kept?.TakeFirst();
            var first = firstOrderWanted ? formerFirst ?? new ControlAccumulator<T>(Engine, vectorField.Controls) : null;
            var second = kept is not null && paired is not null ? paired.Sums : new ControlAccumulator<T>(Engine, vectorField.Controls);
            var tangentFormed = kept is not null ? paired?.Formed : null;
            for (int n = _steps - 1; n >= 0; n--)
            {
                var (l, m) = derivatives.SecondOrderReverse(n, steps[n], _sigma[n], lambda, mu, first, second, kept, formerFirst is not null, tangentFormed);
                if (n < steps.Count - 1) { Engine.Release(lambda); Engine.Release(mu); }
                (lambda, mu) = (l, m);
            }
            return FinSucc(new SecondOrderReverseResult<T>(lambda, mu, first?.Gradients ?? [], second.Gradients, SolveStatistics.Zero));
        }

        public void Dispose()
        {
            if (_sigma.Length == 0) return;
            for (int n = 1; n <= _steps; n++) Engine.Release(_sigma[n]);
            System.Buffers.ArrayPool<T>.Shared.Return(_sigma, clearArray: true);
            _sigma = [];
            if (_formed is not null) System.Buffers.ArrayPool<bool>.Shared.Return(_formed);
            (_formed, _paired) = (null, null);
        }
    }
}
