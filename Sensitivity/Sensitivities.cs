using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Discrete;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity;

/// <summary>
/// The front door for sensitivities, on whatever engine the problem's field computes with. Every call takes the adjoint
/// strategy as a value; the default is <see cref="AdjointMode.Discrete"/>, the exact gradient of the discretized network.
/// </summary>
public static class Sensitivities
{
    /// <summary>J = mean ℓᵢ, ∇_u J and the per-sample input sensitivity p(0).</summary>
    public static Fin<LossGradient<T>> Gradient<T>(SensitivityProblem<T> problem, IAdjointMethod? adjoint = null) =>
        Check(problem).Bind(_ => LossDerivatives.Gradient(Block(problem, adjoint), problem.X0, problem.Loss));

    /// <summary>p(0): row i is ∇_{x₀ᵢ} ℓᵢ — the direction FGSM follows and the robust penalty measures.</summary>
    public static Fin<T> InputSensitivity<T>(SensitivityProblem<T> problem, IAdjointMethod? adjoint = null) =>
        Check(problem).Bind(_ => LossDerivatives.InputSensitivity(Block(problem, adjoint), problem.X0, problem.Loss));

    /// <summary>𝒥 = mean ᵢ[ℓᵢ + ε‖p ᵢ(0)‖_{q*}] and ∇_u 𝒥 by the second-order adjoint.</summary>
    public static Fin<AugmentedGradient<T>> AugmentedGradient<T>(SensitivityProblem<T> problem, AugmentedLoss augmented, IAdjointMethod? adjoint = null) =>
        CheckAugmented(problem, augmented).Bind(_ => LossDerivatives.AugmentedGradient(Block(problem, adjoint), problem.X0, problem.Loss, augmented));

    /// <summary>
    /// 𝒥 and ∇_u 𝒥 as a training step wants them, from one combined second-order sweep
    /// (<see cref="LossDerivatives.AugmentedControlGradient{T}"/>): the result's first-order part has J and p(0) but no
    /// control gradients.
    /// </summary>
    public static Fin<AugmentedGradient<T>> AugmentedControlGradient<T>(SensitivityProblem<T> problem, AugmentedLoss augmented, IAdjointMethod? adjoint = null) =>
        CheckAugmented(problem, augmented).Bind(_ => LossDerivatives.AugmentedControlGradient(Block(problem, adjoint), problem.X0, problem.Loss, augmented));

    private static Fin<Unit> CheckAugmented<T>(SensitivityProblem<T> problem, AugmentedLoss augmented) =>
        Check(problem).Bind(_ => augmented.Epsilon >= 0 && double.IsFinite(augmented.Epsilon)
            ? FinSucc(unit)
            : FinFail<Unit>(RobustNodeErrors.InvalidArgument("epsilon", $"must be finite and non-negative, got {augmented.Epsilon}")));

    /// <summary>The problem's flow as an ODE block differentiated by the given adjoint strategy.</summary>
    public static OdeBlock<T> Block<T>(SensitivityProblem<T> problem, IAdjointMethod? adjoint = null) =>
        new(problem.Field, problem.Solver, adjoint ?? AdjointMode.Discrete);

    /// <summary>
    /// Forward sensitivity of the discretized network (tangent linear model): δx_{n+1} = Φ_x δx_n + Φ_u η along the
    /// solver's steps, from δx₀ and a control direction η (shaped like the controls; null for none).
    /// </summary>
    public static Fin<TangentResult<T>> Tangent<T>(SensitivityProblem<T> problem, T dx0, IReadOnlyList<T>? eta = null) =>
        Check(problem).Bind(_ => Ode.CheckState(problem.Field, dx0, "dx0")).Bind(_ =>
        {
            var engine = problem.Field.Engine;
            using var scope = engine.OpenScope();
            using var untracked = engine.Untracked();
            return Ode.Solve(problem.Field, problem.X0, problem.Solver, new SolveOptions(Tape: true)).Map(solution =>
            {
                var derivatives = new RungeKuttaStepDerivatives<T>(problem.Solver.Tableau, problem.Field);
                var sigma = dx0;
                bool ownsSigma = false; // dx0 is the caller's (no identity test: engine values may be structs)
                var tape = solution.Tape!;
                for (int n = 0; n < tape.Count; n++)
                {
                    var next = derivatives.Tangent(n, tape[n], sigma, eta);
                    if (ownsSigma) engine.Release(sigma);
                    (sigma, ownsSigma) = (next, true);
                }
                double derivative = engine.Dot(problem.Loss.Gradient(solution.Final), sigma) / problem.BatchSize;
                return new TangentResult<T>(engine.Keep(sigma), derivative, solution.Statistics);
            });
        });

    /// <summary>Checks the problem's shapes before anything reaches an engine.</summary>
    public static Fin<Unit> Check<T>(SensitivityProblem<T> problem) =>
        Ode.CheckState(problem.Field, problem.X0, "x0").Bind(_ => problem.Solver.Validate().Match(
            Succ: _ => FinSucc(unit),
            Fail: errors => FinFail<Unit>(errors.Head)));
}
