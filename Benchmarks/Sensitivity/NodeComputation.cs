using RobustNode.Benchmarks.Engines;
using RobustNode.Core.Engines;
using RobustNode.Host.Configuration;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Solvers.Integration;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// One of RobustNode's computations on the benchmark nODE, written once for every engine (generic in the engine's
/// tensor type): a first-order gradient, an augmented-loss gradient, or the forward solve alone.
/// <see cref="On"/> moves the problem onto an engine of the host's catalog and returns the timed computation.
/// </summary>
internal abstract class NodeComputation
{
    /// <summary>The computation on a problem of any engine; returns the gradients (∇_W first), or the final state.</summary>
    public abstract IReadOnlyList<T> Compute<T>(SensitivityProblem<T> problem);

    /// <summary>∇_W J, ∇_b J and ∇_{x₀} J by an adjoint.</summary>
    public static NodeComputation Gradient(IAdjointMethod mode, bool withInput = true) => new FirstOrder(mode, withInput);

    /// <summary>∇_W 𝒥, ∇_b 𝒥 of the augmented loss by a second-order adjoint, as a training step computes it (one combined sweep, no ∇J apart).</summary>
    public static NodeComputation Augmented(AugmentedLoss loss, IAdjointMethod mode) => new SecondOrder(loss, mode);

    /// <summary>The forward solve recording the step tape (what the discrete adjoint does before its reverse sweep).</summary>
    public static NodeComputation Forward { get; } = new ForwardSolve();

    /// <summary>The computation on the benchmark problem moved onto an engine made for the problem's size and threads.</summary>
    public Computation On(BenchmarkProblem problem, BenchmarkEngine engine) => engine.Create(problem.Size).Run(new User(problem, this));

    private sealed class User(BenchmarkProblem problem, NodeComputation computation) : IEngineUser<Computation>
    {
        public Computation Use<T>(IEngine<T> engine)
        {
            var onEngine = problem.On(engine);
            return new Computation(
                () =>
                {
                    using var scope = engine.OpenScope();
                    computation.Compute(onEngine);
                },
                () => computation.Compute(onEngine).Select(engine.ToTensor).ToArray());
        }
    }

    private static TValue Unwrap<TValue>(LanguageExt.Fin<TValue> result) =>
        result.Match(value => value, error => throw new InvalidOperationException(error.Message));

    private sealed class FirstOrder(IAdjointMethod mode, bool withInput) : NodeComputation
    {
        public override IReadOnlyList<T> Compute<T>(SensitivityProblem<T> problem)
        {
            var g = Unwrap(Sensitivities.Gradient(problem, mode));
            return withInput ? [.. g.ControlGradients, g.InputSensitivity] : g.ControlGradients;
        }
    }

    private sealed class SecondOrder(AugmentedLoss loss, IAdjointMethod mode) : NodeComputation
    {
        public override IReadOnlyList<T> Compute<T>(SensitivityProblem<T> problem) =>
            Unwrap(Sensitivities.AugmentedControlGradient(problem, loss, mode)).AugmentedControlGradients;
    }

    private sealed class ForwardSolve : NodeComputation
    {
        public override IReadOnlyList<T> Compute<T>(SensitivityProblem<T> problem) =>
            [Unwrap(Ode.Solve(problem.Field, problem.X0, problem.Solver, new SolveOptions(Tape: true))).Final];
    }
}
