using LanguageExt;
using RobustNode.Sensitivity.Discrete;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Solvers.Dense;
using RobustNode.Solvers.Engines;
using RobustNode.Solvers.Integration;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// The discrete adjoint ("discretize, then optimize"; the seed talk's adjoint method layer by layer): reverse
/// sweeps through every accepted step and every stage of the tableau, giving the exact gradient of the
/// discretized network. Only the step-start states are kept; no autograd graph is recorded. With adaptive
/// steps the accepted step sizes are treated as constants.
/// </summary>
public sealed record DiscreteAdjoint : IAdjointMethod
{
    public string Name => "discrete";

    private static Fin<(IReadOnlyList<DenseSegment<Tensor>> Steps, OdeSolution<Tensor> Solution)> Forward(SensitivityProblem problem) =>
        Ode.Solve(problem.Field, problem.X0, problem.Solver, new SolveOptions(Dense: true))
            .Map(sol => (sol.Dense!.Segments, sol));

    public Fin<LossGradient> Gradient(SensitivityProblem problem)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Forward(problem).Map(forward =>
        {
            var (steps, solution) = forward;
            var tab = problem.Solver.Tableau;
            var gradient = new ControlAccumulator(problem.Field.Controls);
            var lambda = problem.Loss.Gradient(solution.Final);
            for (int n = steps.Count - 1; n >= 0; n--)
            {
                var step = steps[n];
                var previous = lambda;
                lambda = RungeKuttaStepDerivatives.Reverse(tab, problem.Field, step.Piece, step.T0, step.H, step.Y0, lambda, gradient);
                previous.Dispose();
            }
            double loss = problem.Loss.PerSample(solution.Final).mean().to(float64).item<double>();
            return new LossGradient(loss, gradient.Scaled(1.0 / problem.BatchSize), lambda, solution.Final, solution.Statistics).Out();
        });
    }

    public Fin<AugmentedGradient> AugmentedGradient(SensitivityProblem problem, AugmentedLoss augmented)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Forward(problem).Map(forward =>
        {
            var (steps, solution) = forward;
            var tab = problem.Solver.Tableau;
            var field = problem.Field;
            var loss = problem.Loss;
            var xT = solution.Final;

            // Sweep 2: λ backwards → p(0), v = ∇φ(p(0)).
            var lambda = loss.Gradient(xT);
            for (int n = steps.Count - 1; n >= 0; n--)
            {
                var step = steps[n];
                var previous = lambda;
                lambda = RungeKuttaStepDerivatives.Reverse(tab, field, step.Piece, step.T0, step.H, step.Y0, lambda, null);
                previous.Dispose();
            }
            var p0 = lambda;
            var v = augmented.Norm.DualNormGradient(p0);

            // Sweep 3: σ forwards from v (tangent of x along the input direction v).
            var sigma = new Tensor[steps.Count + 1];
            sigma[0] = v;
            for (int n = 0; n < steps.Count; n++)
            {
                var step = steps[n];
                sigma[n + 1] = RungeKuttaStepDerivatives.Tangent(tab, field, step.Piece, step.T0, step.H, step.Y0, sigma[n]);
            }

            // Sweep 4: (λ, μ) backwards with μ_N = ∇²ℓ(x_N) σ_N; accumulates ∇_u J and ∇_u φ(p(0)).
            var first = new ControlAccumulator(field.Controls);
            var second = new ControlAccumulator(field.Controls);
            lambda = loss.Gradient(xT);
            var mu = loss.HessianVectorProduct(xT, sigma[^1]);
            for (int n = steps.Count - 1; n >= 0; n--)
            {
                var step = steps[n];
                var (l, m) = RungeKuttaStepDerivatives.SecondOrderReverse(tab, field, step.Piece, step.T0, step.H, step.Y0, sigma[n],
                    lambda, mu, first, second);
                lambda.Dispose(); mu.Dispose(); sigma[n + 1].Dispose();
                (lambda, mu) = (l, m);
            }
            return Results.Augmented(problem, augmented, xT, p0, first, second, solution.Statistics).Out();
        });
    }
}
