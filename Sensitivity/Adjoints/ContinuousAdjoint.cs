using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Continuous;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers.Engines;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// The continuous adjoint ("optimize, then discretize"): the adjoint ODEs of the seed talk (Lemma 1, Theorem 2)
/// solved backwards layer by layer with the problem's solver, fixed or adaptive. It converges to the gradient of
/// the continuous problem at the scheme's order. Forward states come from the <see cref="StateStrategy"/>.
/// </summary>
public sealed record ContinuousAdjoint(StateStrategy Strategy) : IAdjointMethod
{
    private static readonly TupleAlgebra<Tensor> Algebra = new(TensorAlgebra.Instance);

    public string Name => Strategy switch
    {
        StateStrategy.Stored => "stored",
        StateStrategy.Checkpoint => "checkpoint",
        _ => "backsolve",
    };

    private bool CarriesStates => Strategy is StateStrategy.Backsolve;

    public Fin<LossGradient> Gradient(SensitivityProblem problem)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        try
        {
            var forward = ForwardTrajectory.Solve(problem.Field, problem.Solver, Strategy, [problem.X0]).OrThrow();
            using var _ = forward;
            var xT = forward.Final[0];
            var system = new AdjointSystem(problem.Field, CarriesStates, false, true, false, forward);
            Tensor[] terminal = CarriesStates ? [xT, problem.Loss.Gradient(xT)] : [problem.Loss.Gradient(xT)];
            var first = new ControlAccumulator(problem.Field.Controls);
            var (state, stats) = Backward(problem, system, terminal, first, null);
            double loss = problem.Loss.PerSample(xT).mean().to(float64).item<double>();
            return FinSucc(new LossGradient(loss, first.Scaled(1.0 / problem.BatchSize), state[^1], xT,
                forward.Statistics + stats).Out());
        }
        catch (RobustNodeException ex)
        {
            return FinFail<LossGradient>(ex.Error);
        }
    }

    public Fin<AugmentedGradient> AugmentedGradient(SensitivityProblem problem, AugmentedLoss augmented)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        try
        {
            var field = problem.Field;
            var loss = problem.Loss;
            // Sweeps 1–2: x forwards, p backwards → p(0), v = ∇φ(p(0)).
            var forward = ForwardTrajectory.Solve(field, problem.Solver, Strategy, [problem.X0]).OrThrow();
            var xT = forward.Final[0];
            var adjoint = new AdjointSystem(field, CarriesStates, false, false, false, forward);
            var (state, stats) = Backward(problem, adjoint, CarriesStates ? [xT, loss.Gradient(xT)] : [loss.Gradient(xT)], null, null);
            var p0 = state[^1];
            stats += forward.Statistics;
            forward.Dispose();
            var v = augmented.Norm.DualNormGradient(p0);

            // Sweep 3: (x, s) forwards from (x₀, v).
            var tangent = ForwardTrajectory.Solve(field, problem.Solver, Strategy, [problem.X0, v]).OrThrow();
            using var _ = tangent;
            var (x2, sT) = (tangent.Final[0], tangent.Final[1]);

            // Sweep 4: (p, μ) backwards with μ(T) = ∇²ℓ(x(T)) s(T), accumulating both control integrals.
            var second = new AdjointSystem(field, CarriesStates, true, true, true, tangent);
            Tensor[] terminal = CarriesStates
                ? [x2, sT, loss.Gradient(x2), loss.HessianVectorProduct(x2, sT)]
                : [loss.Gradient(x2), loss.HessianVectorProduct(x2, sT)];
            var first = new ControlAccumulator(field.Controls);
            var secondAcc = new ControlAccumulator(field.Controls);
            var (_, stats4) = Backward(problem, second, terminal, first, secondAcc);
            return FinSucc(Results.Augmented(problem, augmented, xT, p0, first, secondAcc, stats + tangent.Statistics + stats4).Out());
        }
        catch (RobustNodeException ex)
        {
            return FinFail<AugmentedGradient>(ex.Error);
        }
    }

    /// <summary>Integrates the adjoint system from T down to 0, one layer at a time, adding each layer's control integrals.</summary>
    private static (Tensor[] State, SolveStatistics Statistics) Backward(SensitivityProblem problem, AdjointSystem system, Tensor[] terminal,
        ControlAccumulator? first, ControlAccumulator? second)
    {
        var grid = problem.Field.Grid;
        var states = terminal;
        var statistics = SolveStatistics.Zero;
        for (int k = grid.Layers - 1; k >= 0; k--)
        {
            int layer = k;
            var layerSystem = new PiecewiseSystem<Tensor[]>([grid.Boundary(k + 1), grid.Boundary(k)], (_, t, y) => system.Rhs(layer, t, y));
            var start = system.Start(k, states);
            var solution = problem.Solver.Solve(Algebra, layerSystem, start).OrThrow();
            statistics += solution.Statistics;
            var (u1, u2) = system.Integrals(solution.Final);
            if (first is not null) first.Add(k, u1);
            if (second is not null) second.Add(k, u2);
            // Free the previous layer's tuple so memory stays flat in the number of layers.
            foreach (var part in start[system.StateParts..].Concat(u1).Concat(u2)) part.Dispose();
            if (!ReferenceEquals(states, terminal)) foreach (var part in states) part.Dispose();
            states = solution.Final[..system.StateParts];
        }
        return (states, statistics);
    }
}

internal static class FinExtensions
{
    /// <summary>
    /// Unwraps a Fin inside a method that converts <see cref="RobustNodeException"/> back into a Fin. (Not named
    /// ThrowIfFail: Fin has an instance method of that name, which would win and throw LanguageExt's exception.)
    /// </summary>
    public static T OrThrow<T>(this Fin<T> fin) => fin.Match(v => v, e => throw new RobustNodeException(e));
}
