using LanguageExt;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Discrete;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using RobustNode.Solvers.Dense;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Adjoints;

/// <summary>
/// The discrete adjoint ("discretize, then optimize"; the seed talk's adjoint method layer by layer): reverse
/// sweeps through every accepted step and every stage of the tableau, giving the exact derivatives of the
/// discretized network. Only the step-start states (and tangents) are kept; no autograd graph is recorded.
/// With adaptive steps the accepted step sizes are treated as constants.
/// </summary>
public sealed record DiscreteAdjoint : IAdjointMethod
{
    public string Name => "discrete";

    public Fin<IForwardSweep> Forward(IVectorField field, OdeSolver solver, Tensor x0) =>
        Ode.Solve(field, x0, solver, new SolveOptions(Dense: true))
            .Map(sol => (IForwardSweep)new Sweep(field, solver, sol.Dense!.Segments, sol.Final, sol.Statistics));

    private sealed class Sweep(IVectorField field, OdeSolver solver, IReadOnlyList<DenseSegment<Tensor>> steps, Tensor final, SolveStatistics statistics)
        : IForwardSweep
    {
        public Tensor Final => final;
        public SolveStatistics Statistics => statistics;

        public Fin<ReverseResult> Reverse(Tensor lambdaT, bool withControls)
        {
            var gradient = withControls ? new ControlAccumulator(field.Controls) : null;
            var lambda = lambdaT;
            for (int n = steps.Count - 1; n >= 0; n--)
            {
                var step = steps[n];
                var previous = lambda;
                lambda = RungeKuttaStepDerivatives.Reverse(solver.Tableau, field, step.Piece, step.T0, step.H, step.Y0, lambda, gradient);
                if (!ReferenceEquals(previous, lambdaT)) previous.Dispose();
            }
            return FinSucc(new ReverseResult(lambda, gradient?.Gradients ?? [], SolveStatistics.Zero));
        }

        public Fin<ITangentSweep> Tangent(Tensor sigma0)
        {
            var sigma = new Tensor[steps.Count + 1];
            sigma[0] = sigma0;
            for (int n = 0; n < steps.Count; n++)
            {
                var step = steps[n];
                sigma[n + 1] = RungeKuttaStepDerivatives.Tangent(solver.Tableau, field, step.Piece, step.T0, step.H, step.Y0, sigma[n]);
            }
            return FinSucc<ITangentSweep>(new TangentSweep(field, solver.Tableau, steps, sigma));
        }

        public void Dispose() { }
    }

    private sealed class TangentSweep(IVectorField field, Core.Tableaux.ButcherTableau tableau, IReadOnlyList<DenseSegment<Tensor>> steps, Tensor[] sigma)
        : ITangentSweep
    {
        public Tensor Final => sigma[^1];
        public SolveStatistics Statistics => SolveStatistics.Zero;

        public Fin<SecondOrderReverseResult> Reverse(Tensor lambdaT, Tensor muT)
        {
            var first = new ControlAccumulator(field.Controls);
            var second = new ControlAccumulator(field.Controls);
            var (lambda, mu) = (lambdaT, muT);
            for (int n = steps.Count - 1; n >= 0; n--)
            {
                var step = steps[n];
                var (l, m) = RungeKuttaStepDerivatives.SecondOrderReverse(tableau, field, step.Piece, step.T0, step.H, step.Y0,
                    sigma[n], lambda, mu, first, second);
                if (!ReferenceEquals(lambda, lambdaT)) { lambda.Dispose(); mu.Dispose(); }
                (lambda, mu) = (l, m);
            }
            return FinSucc(new SecondOrderReverseResult(lambda, mu, first.Gradients, second.Gradients, SolveStatistics.Zero));
        }

        public void Dispose()
        {
            for (int n = 1; n < sigma.Length; n++) sigma[n].Dispose();
        }
    }
}
