using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Discrete;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity;

/// <summary>
/// The front door for sensitivities. Every call takes the adjoint strategy as a value; the default is
/// <see cref="AdjointMode.Discrete"/>, the exact gradient of the discretized network.
/// </summary>
public static class Sensitivities
{
    /// <summary>J = mean ℓᵢ, ∇_u J and the per-sample input sensitivity p(0).</summary>
    public static Fin<LossGradient> Gradient(SensitivityProblem problem, IAdjointMethod? adjoint = null) =>
        Check(problem).Bind(_ => (adjoint ?? AdjointMode.Discrete).Gradient(problem));

    /// <summary>p(0): row i is ∇_{x₀ᵢ} ℓᵢ — the direction FGSM follows and the robust penalty measures.</summary>
    public static Fin<Tensor> InputSensitivity(SensitivityProblem problem, IAdjointMethod? adjoint = null) =>
        Gradient(problem, adjoint).Map(g =>
        {
            foreach (var c in g.ControlGradients) c.Dispose();
            return g.InputSensitivity;
        });

    /// <summary>𝒥 = mean ᵢ[ℓᵢ + ε‖p ᵢ(0)‖_{q*}] and ∇_u 𝒥 by the second-order adjoint.</summary>
    public static Fin<AugmentedGradient> AugmentedGradient(SensitivityProblem problem, AugmentedLoss augmented, IAdjointMethod? adjoint = null) =>
        Check(problem).Bind(_ => augmented.Epsilon >= 0 && double.IsFinite(augmented.Epsilon)
            ? (adjoint ?? AdjointMode.Discrete).AugmentedGradient(problem, augmented)
            : FinFail<AugmentedGradient>(RobustNodeErrors.InvalidArgument("epsilon", $"must be finite and non-negative, got {augmented.Epsilon}")));

    /// <summary>
    /// Forward sensitivity of the discretized network (tangent linear model): δx_{n+1} = Φ_x δx_n + Φ_u η along the
    /// solver's steps, from δx₀ and a control direction η (shaped like the controls; null for none).
    /// </summary>
    public static Fin<TangentResult> Tangent(SensitivityProblem problem, Tensor dx0, IReadOnlyList<Tensor>? eta = null) =>
        Check(problem).Bind(_ => Ode.CheckState(problem.Field, dx0, "dx0")).Bind(_ =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return Ode.Solve(problem.Field, problem.X0, problem.Solver, new SolveOptions(Dense: true)).Map(solution =>
            {
                var controls = problem.Field.Controls;
                var sigma = dx0;
                foreach (var step in solution.Dense!.Segments)
                {
                    var slices = eta?.Select((e, j) => controls[j].PerLayer ? e[step.Piece] : e).ToArray();
                    sigma = RungeKuttaStepDerivatives.Tangent(problem.Solver.Tableau, problem.Field, step.Piece, step.T0, step.H, step.Y0, sigma, slices);
                }
                double derivative = (problem.Loss.Gradient(solution.Final) * sigma).sum().to(float64).item<double>() / problem.BatchSize;
                return new TangentResult(sigma.MoveToOuterDisposeScope(), derivative, solution.Statistics);
            });
        });

    /// <summary>Checks the problem's shapes before anything reaches libtorch.</summary>
    public static Fin<Unit> Check(SensitivityProblem problem) =>
        Ode.CheckState(problem.Field, problem.X0, "x0").Bind(_ => problem.Solver.Validate().Match(
            Succ: _ => FinSucc(unit),
            Fail: errors => FinFail<Unit>(errors.Head)));
}
