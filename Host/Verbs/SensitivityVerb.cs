using System.Diagnostics;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Logging;
using RobustNode.Core.Errors;
using RobustNode.Core.Engines;
using RobustNode.Core.Losses;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.IO;
using RobustNode.Host.Problems;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode sensitivity --problem FILE.json [--out RESULT.json]</c>: the loss, the augmented loss
/// J + ε‖∇_{x0}J‖_{q*} and their gradients by the problem's adjoint ("mode": discrete, or continuous with
/// "adjoint": stored | checkpoint | backsolve), written as <see cref="SensitivityResult"/>. One call of the
/// second-order adjoint yields both the first-order and the augmented results. A file with an <c>"objective"</c> also gets
/// that robust training objective's value and control gradients (<see cref="ProblemObjective"/>).
/// </summary>
internal sealed class SensitivityVerb(
    ProblemFileParser parser, SolverRegistry solvers, SolverDefaults defaults, OutputSettings output, TorchRuntime runtime, EngineCatalog engines, HostConsole console,
    ILogger<SensitivityVerb> log)
    : ProblemFileVerb<SensitivityResult>(Descriptor.Name, parser, solvers, defaults, output, runtime, engines, console), IVerb
{
    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } =
        Describe("sensitivity", "gradients of the loss and of the robust augmented loss of a problem file", "the problem file (with a loss)");

    /// <inheritdoc/>
    protected override Validation<Error, ProblemFile> Require(ProblemFile problem) =>
        problem.Loss is null
            ? Fail<Error, ProblemFile>(HostErrors.ProblemFile("$.loss", "the sensitivity verb needs a loss: \"cross-entropy\" with \"labels\" or \"square\" with \"targets\""))
            : Success<Error, ProblemFile>(problem);

    /// <summary>The adjoint strategy a problem file asks for.</summary>
    public static IAdjointMethod Adjoint(ProblemFile problem) => problem.Mode switch
    {
        Problems.AdjointMode.Discrete => Sensitivity.Adjoints.AdjointMode.Discrete,
        _ => problem.Adjoint switch
        {
            AdjointStorage.Stored => Sensitivity.Adjoints.AdjointMode.Stored,
            AdjointStorage.Checkpoint => Sensitivity.Adjoints.AdjointMode.Checkpoint,
            _ => Sensitivity.Adjoints.AdjointMode.Backsolve,
        },
    };

    private ILoss<T> Loss<T>(IEngine<T> engine, ProblemFile problem) => problem.Loss switch
    {
        ProblemLoss.CrossEntropy ce => new CrossEntropyLoss<T>(engine,
            engine.FromTensor(tensor(ce.Labels.Select(l => (long)l).ToArray(), dtype: ScalarType.Int64, device: Runtime.Device))),
        ProblemLoss.Square sq => new SquaredErrorLoss<T>(engine, engine.FromTensor(ProblemTensors.Tensor(sq.Targets, Runtime))),
        _ => throw new InvalidOperationException("the loss was checked by Require"),
    };

    /// <inheritdoc/>
    protected override Fin<SensitivityResult> Compute<T>(IEngine<T> engine, ProblemFile problem, ProblemTensors<T> input, OdeSolver solver)
    {
        var adjoint = Adjoint(problem);
        var loss = Loss(engine, problem);
        var sensitivityProblem = new SensitivityProblem<T>(input.Field, input.X0, loss, solver);
        var clock = Stopwatch.StartNew();
        var result = Sensitivities.AugmentedGradient(sensitivityProblem, new AugmentedLoss(problem.Epsilon, problem.Q), adjoint);
        clock.Stop();
        var names = input.Field.Controls.Select(c => c.Name).ToArray();
        return result.Map(gradient => Tensors(engine, gradient)).Bind(gradient => Finite(gradient, names))
            .Bind(gradient => Objective(engine, problem, sensitivityProblem, adjoint, names).Map(objective => new SensitivityResult(gradient, names, adjoint.Name,
                clock.Elapsed.TotalMilliseconds, Process.GetCurrentProcess().PeakWorkingSet64, engine.Name) { Objective = objective.MatchUnsafe(o => o, () => null) }));
    }

    /// <summary>
    /// The file's robust objective on its network and batch, from the perturbation the file gives (none without an
    /// objective), by the same adjoint as the loss; a computation failure naming the key when it overflowed.
    /// </summary>
    private Fin<Option<ObjectiveEvaluation>> Objective<T>(IEngine<T> engine, ProblemFile problem, SensitivityProblem<T> sensitivityProblem, IAdjointMethod adjoint,
        IReadOnlyList<string> names)
    {
        if (problem.Objective is not { } settings) return FinSucc(Option<ObjectiveEvaluation>.None);
        var objective = settings.Objective();
        using var scope = engine.OpenScope();
        var perturbation = engine.FromTensor(ProblemTensors.Tensor(settings.Perturbation, Runtime));
        return objective.Validate().Bind(_ => objective.EvaluateFrom(Sensitivities.Block(sensitivityProblem, adjoint), sensitivityProblem.X0, sensitivityProblem.Loss, perturbation))
            .Bind(r =>
            {
                var gradients = r.Gradients.Select(g => engine.ToTensor(g).DetachFromDisposeScope()).ToArray();
                static bool AllFinite(Tensor t) { using var s = NewDisposeScope(); return t.isfinite().all().item<bool>(); }
                if (!double.IsFinite(r.Objective)) return FinFail<Option<ObjectiveEvaluation>>(RobustNodeErrors.NonFiniteResult("objective.value", "the objective overflowed; no result was written"));
                for (int i = 0; i < gradients.Length; i++)
                    if (!AllFinite(gradients[i]))
                        return FinFail<Option<ObjectiveEvaluation>>(RobustNodeErrors.NonFiniteResult($"objective.grad{char.ToUpperInvariant(names[i][0])}{names[i][1..]}",
                            "the objective's gradient overflowed; no result was written"));
                return FinSucc(Some(new ObjectiveEvaluation(objective.Name, objective.Describe(), r.Loss, r.Objective, gradients)));
            });
    }

    // The result at the edge, as TorchSharp tensors for the JSON writer.
    private static AugmentedGradient<Tensor> Tensors<T>(IEngine<T> engine, AugmentedGradient<T> g)
    {
        var first = g.FirstOrder;
        return new AugmentedGradient<Tensor>(g.AugmentedLoss, g.AugmentedControlGradients.Select(engine.ToTensor).ToArray(),
            new LossGradient<Tensor>(first.Loss, first.ControlGradients.Select(engine.ToTensor).ToArray(), engine.ToTensor(first.InputSensitivity),
                engine.ToTensor(first.FinalState), first.Statistics));
    }

    /// <summary>
    /// The result when every value the file would hold is finite; otherwise a computation failure naming the first
    /// key that overflowed (a file never holds a non-finite result, see <see cref="Schemas.FiniteNumberConverter"/>).
    /// </summary>
    private static Fin<AugmentedGradient<Tensor>> Finite(AugmentedGradient<Tensor> gradient, IReadOnlyList<string> controls)
    {
        var first = gradient.FirstOrder;
        static bool AllFinite(Tensor t) { using var scope = NewDisposeScope(); return t.isfinite().all().item<bool>(); }
        static string Key(string prefix, string control) => prefix + char.ToUpperInvariant(control[0]) + control[1..];
        var checks = new List<(string Key, Func<bool> Finite)>
        {
            ("loss", () => double.IsFinite(first.Loss)),
            ("augmentedLoss", () => double.IsFinite(gradient.AugmentedLoss)),
            ("inputSensitivity", () => AllFinite(first.InputSensitivity)),
        };
        for (int i = 0; i < controls.Count; i++)
        {
            int k = i;
            checks.Add((Key("grad", controls[k]), () => AllFinite(first.ControlGradients[k])));
            checks.Add((Key("augmentedGrad", controls[k]), () => AllFinite(gradient.AugmentedControlGradients[k])));
        }
        var broken = checks.FirstOrDefault(c => !c.Finite());
        return broken.Key is null
            ? FinSucc(gradient)
            : FinFail<AugmentedGradient<Tensor>>(RobustNodeErrors.NonFiniteResult(broken.Key, "the loss or its derivatives overflowed; no result was written"));
    }

    /// <inheritdoc/>
    protected override string Computation(string problemPath) => $"the computation for '{problemPath}'";

    /// <inheritdoc/>
    protected override byte[] Json(SensitivityResult result) => result.ToJson();

    /// <inheritdoc/>
    protected override void Finished(ProblemFile problem, string problemPath, SensitivityResult result, string outPath)
    {
        log.LogInformation("Sensitivities of {Problem} ({Field}, d = {Dim}, N = {Steps}, B = {Batch}, {Mode} adjoint, ε = {Epsilon}, q = {Q}) on the {Engine} engine: loss {Loss:G6}, augmented {Augmented:G6} in {Milliseconds:F1} ms; wrote {Out}",
            problemPath, problem.Field.Name, problem.Dim, problem.Steps, problem.Batch, result.Mode, problem.Epsilon, problem.Q, result.Engine,
            result.Gradient.FirstOrder.Loss, result.Gradient.AugmentedLoss, result.WallTimeMs, outPath);
        if (result.Objective is { } objective)
            log.LogInformation("Objective {Objective} of {Problem}: {Value:G6} (clean loss {Loss:G6})", objective.Settings, problemPath, objective.Value, objective.Loss);
    }
}
