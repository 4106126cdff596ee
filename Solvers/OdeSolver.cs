using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using RobustNode.Core.Tableaux;
using RobustNode.Solvers.Control;
using RobustNode.Solvers.Dense;
using RobustNode.Core.Engines;
using RobustNode.Solvers.Integration;
using RobustNode.Solvers.Stepping;
using static LanguageExt.Prelude;

namespace RobustNode.Solvers;

/// <summary>
/// A solver is a tableau plus a stepping rule. It integrates a <see cref="PiecewiseSystem{T}"/> piece by piece
/// (never stepping across a breakpoint), forwards or backwards, through any <see cref="IStateAlgebra{T}"/> engine.
/// </summary>
/// <param name="Tableau">The Runge–Kutta scheme.</param>
/// <param name="Controller">Constant steps or an adaptive controller (which needs an embedded tableau).</param>
public sealed record OdeSolver(ButcherTableau Tableau, IStepSizeController Controller)
{
    /// <summary>Order of the local error estimate that drives adaptive control.</summary>
    private int ErrorOrder => Math.Min(Tableau.Order, Tableau.EmbeddedOrder ?? Tableau.Order);

    /// <summary>Checks that tableau and controller fit together.</summary>
    public Validation<Error, OdeSolver> Validate() =>
        Controller.IsAdaptive && !Tableau.IsAdaptive
            ? Fail<Error, OdeSolver>(RobustNodeErrors.InvalidArgument("solver",
                $"tableau '{Tableau.Name}' has no embedded error estimate, so it cannot take adaptive steps; use constant steps or an embedded scheme (bosh3, dopri5, tsit5, heun)"))
            : Success<Error, OdeSolver>(this);

    /// <summary>Integrates from y0 across every piece of the system.</summary>
    internal Fin<OdeSolution<T>> Solve<T>(IStateAlgebra<T> algebra, PiecewiseSystem<T> system, T y0, SolveOptions? options = null)
    {
        options ??= SolveOptions.Default;
        var valid = Validate();
        if (valid.IsFail) return FinFail<OdeSolution<T>>((Error)valid.FailToSeq().Head);
        var bp = system.Breakpoints;
        // Constant steps know their work in advance: a solve that would exceed the step limit fails before it starts.
        if (Controller is ConstantSteps constant && constant.StepsFor(bp) is var steps && steps > constant.MaxSteps)
            return FinFail<OdeSolution<T>>(RobustNodeErrors.MaxStepsExceeded(bp[0], constant.MaxSteps,
                $"{steps} constant steps ({system.Pieces} layers) would be needed"));
        double direction = Math.Sign(bp[^1] - bp[0]);
        if (options.SaveAt is { } save)
        {
            for (int i = 0; i < save.Count; i++)
            {
                if (!double.IsFinite(save[i]) || (save[i] - bp[0]) * direction < 0 || (save[i] - bp[^1]) * direction > 0)
                    return FinFail<OdeSolution<T>>(RobustNodeErrors.InvalidArgument($"saveAt[{i}]", $"{save[i]} is outside the span [{bp[0]}, {bp[^1]}]"));
                if (i > 0 && (save[i] - save[i - 1]) * direction < 0)
                    return FinFail<OdeSolution<T>>(RobustNodeErrors.InvalidArgument($"saveAt[{i}]", "times must be ordered in the direction of integration"));
            }
        }
        try
        {
            var solution = Integrate(algebra, system, y0, options, direction, checkEachPiece: false);
            if (algebra.IsFinite(solution.Final)) return FinSucc(solution);
            // y₁ = y + h Σ bᵢKᵢ keeps every non-finite component non-finite, so the final state tells whether
            // the solution broke down. Checking once per solve instead of once per piece keeps the check off
            // the hot path; only a failed solve pays for a second pass that finds the first broken piece.
            Integrate(algebra, system, y0, options, direction, checkEachPiece: true);
            throw new RobustNodeException(RobustNodeErrors.NonFiniteState(bp[^1], system.Pieces - 1));
        }
        catch (RobustNodeException ex)
        {
            return FinFail<OdeSolution<T>>(ex.Error);
        }
    }

    private OdeSolution<T> Integrate<T>(IStateAlgebra<T> algebra, PiecewiseSystem<T> system, T y0, SolveOptions options, double direction,
        bool checkEachPiece)
    {
        bool dense = options.Dense || options.SaveAt is { Count: > 0 };
        var segments = dense ? new List<DenseSegment<T>>() : null;
        var tape = options.Tape ? new StepTape<T>() : null;
        // Allocated once per solve and reused by every step: the stage buffers and the right-hand side of the current piece.
        var stages = new RungeKuttaStages<T>(Tableau, algebra);
        var rhs = new PieceFunction<T>(system);
        int evaluations = 0, accepted = 0, rejected = 0;
        T y = y0;
        bool ownsY = false;
        double hPrevious = double.NaN;
        var memory = ControllerMemory.Initial;
        var bp = system.Breakpoints;
        for (int piece = 0; piece < system.Pieces; piece++)
        {
            rhs.Piece = piece;
            double t = bp[piece], tEnd = bp[piece + 1];
            if (t == tEnd) continue;
            T f0 = rhs.Slope(0, t, y);
            evaluations++;
            double estimate = double.NaN;
            if (Controller.NeedsInitialEstimate(hPrevious))
            {
                evaluations++;
                estimate = InitialStep(algebra, rhs, t, y, f0, tEnd);
            }
            double h = Controller.FirstStep(t, tEnd, hPrevious, estimate);
            while ((tEnd - t) * direction > 0)
            {
                if (accepted + rejected >= Controller.MaxSteps) throw new RobustNodeException(RobustNodeErrors.MaxStepsExceeded(t, Controller.MaxSteps));
                double remaining = tEnd - t;
                bool last = Math.Abs(h) >= Math.Abs(remaining) * (1 - 1e-9);
                double hStep = last ? remaining : h;
                // Checked before every attempt (as SciPy does), so that accepted steps shrinking towards a
                // blow-up fail here too instead of creeping on without progress in t.
                if (!last && Math.Abs(h) < Controller.MinimumStep(t))
                    throw new RobustNodeException(RobustNodeErrors.StepSizeUnderflow(t, h, piece));
                StepDecision decision;
                T y1 = default!, f1 = default!, yMid = default!;
                bool hasF1 = false;
                using (algebra.OpenScope())
                {
                    var step = RungeKuttaStep.Take(stages, rhs, t, y, f0, hStep, dense);
                    evaluations += step.Evaluations;
                    double err = double.NaN;
                    if (Controller.IsAdaptive)
                    {
                        var (squares, count) = algebra.ScaledSquares(step.Error!, y, step.Y1, Controller.RelativeTolerance, Controller.AbsoluteTolerance);
                        err = Math.Sqrt(squares / count);
                    }
                    decision = Controller.Decide(hStep, err, memory, ErrorOrder);
                    if (decision.Accept)
                    {
                        y1 = algebra.Keep(step.Y1);
                        if (Tableau.IsFsal) { f1 = algebra.Keep(step.F1!); hasF1 = true; }
                        if (dense && Tableau.MidpointWeights is not null) yMid = algebra.Keep(step.YMid!);
                    }
                }
                memory = decision.Memory;
                if (!decision.Accept)
                {
                    rejected++;
                    h = decision.NextStep;
                    continue;
                }
                accepted++;
                double t1 = last ? tEnd : t + hStep;
                // Dense output needs f(t₁, y₁) at the end of a piece too; the tape does not (non-FSAL schemes save an evaluation per piece).
                if (!hasF1 && (!last || dense))
                {
                    using (algebra.OpenScope()) f1 = algebra.Keep(rhs.Slope(0, t1, y1));
                    evaluations++;
                    hasF1 = true;
                }
                tape?.Add(new TapeStep<T>(piece, t, hStep, y));
                if (dense) segments!.Add(new DenseSegment<T>(piece, t, t1, y, y1, f0, f1, yMid));
                else
                {
                    if (ownsY && tape is null) algebra.Release(y);
                    algebra.Release(f0);
                }
                y = y1;
                ownsY = true;
                t = t1;
                if (!last) { f0 = f1; h = decision.NextStep; }
                else
                {
                    hPrevious = Controller.IsAdaptive ? decision.NextStep : double.NaN;
                    if (hasF1 && !dense) algebra.Release(f1);
                }
            }
            if (checkEachPiece && !algebra.IsFinite(y)) throw new RobustNodeException(RobustNodeErrors.NonFiniteState(t, piece));
        }
        var denseSolution = segments is null ? null : new DenseSolution<T>(algebra, segments);
        var saved = System.Array.Empty<T>();
        if (options.SaveAt is { Count: > 0 } times)
        {
            saved = new T[times.Count];
            for (int i = 0; i < times.Count; i++)
                using (algebra.OpenScope()) saved[i] = algebra.Keep(denseSolution!.Evaluate(times[i]));
        }
        return new OdeSolution<T>(y, saved, new SolveStatistics(evaluations, accepted, rejected), options.Dense ? denseSolution : null, tape);
    }

    /// <summary>The right-hand side of the current piece as a stage function (one per solve; the piece advances).</summary>
    private sealed class PieceFunction<T>(PiecewiseSystem<T> system) : IStageFunction<T>
    {
        public int Piece;

        public T Slope(int stage, double t, T x) => system.Rhs(Piece, t, x);
    }

    /// <summary>Automatic first step (Hairer, Nørsett &amp; Wanner I, II.4), as SciPy's solve_ivp does it.</summary>
    private double InitialStep<T>(IStateAlgebra<T> algebra, IStageFunction<T> f, double t0, T y0, T f0, double tEnd)
    {
        using var scope = algebra.OpenScope();
        double rtol = Controller.RelativeTolerance, atol = Controller.AbsoluteTolerance;
        double Rms(T v, T yRef) { var (s, n) = algebra.ScaledSquares(v, yRef, yRef, rtol, atol); return Math.Sqrt(s / n); }
        double span = Math.Abs(tEnd - t0), dir = Math.Sign(tEnd - t0);
        double d0 = Rms(y0, y0), d1 = Rms(f0, y0);
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        h0 = Math.Min(h0, span);
        var y1 = algebra.AddScaled(y0, [dir * h0], [f0]);
        var f1 = f.Slope(0, t0 + dir * h0, y1);
        double d2 = Rms(algebra.AddScaled(f1, [-1.0], [f0]), y0) / h0;
        double h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / Math.Max(d1, d2), 1.0 / (ErrorOrder + 1));
        double h = Math.Min(Math.Min(100 * h0, h1), span);
        return double.IsFinite(h) && h > 0 ? h : span;
    }
}
