using System.Diagnostics;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Logging;
using RobustNode.Core.Losses;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.IO;
using RobustNode.Host.Problems;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode sensitivity --problem FILE.json [--out RESULT.json]</c>: the loss, the augmented loss
/// J + ε‖∇_{x0}J‖_{q*} and their gradients by the problem's adjoint ("mode": discrete, or continuous with
/// "adjoint": stored | checkpoint | backsolve), written as <see cref="SensitivityResult"/>. One call of the
/// second-order adjoint yields both the first-order and the augmented results. Invalid input exits with 2,
/// a failed solve with 3; in both cases no output file is created or overwritten.
/// </summary>
public sealed class SensitivityVerb(
    ProblemFileParser parser,
    SolverRegistry solvers,
    SolverDefaults defaults,
    OutputSettings output,
    TorchRuntime runtime,
    HostConsole console,
    ILogger<SensitivityVerb> log) : IVerb
{
    public static VerbDescriptor Descriptor { get; } = new("sensitivity", "gradients of the loss and of the robust augmented loss of a problem file",
    [
        new VerbOption("problem", "FILE.json", "the problem file (with a loss)", Required: true),
        new VerbOption("out", "RESULT.json", "the result file (default: <Output:Folder>/<problem>.sensitivity.json)"),
    ]);

    public int Run(VerbArguments arguments)
    {
        var problemPath = arguments["problem"]!;
        var outPath = arguments["out"] ?? Path.Combine(output.Folder, Path.GetFileNameWithoutExtension(problemPath) + ".sensitivity.json");
        return InputFile.ReadText(problemPath).Bind(parser.Parse).Bind(RequireLoss).Match(
            Succ: problem => Compute(problem, problemPath, outPath),
            Fail: problems => Invalid(problemPath, problems));
    }

    private static Validation<Error, ProblemFile> RequireLoss(ProblemFile problem) =>
        problem.Loss is null
            ? Fail<Error, ProblemFile>(HostErrors.ProblemFile("$.loss", "the sensitivity verb needs a loss: \"cross-entropy\" with \"labels\" or \"square\" with \"targets\""))
            : Success<Error, ProblemFile>(problem);

    private int Invalid(string problemPath, Seq<Error> problems)
    {
        console.Report($"robustnode sensitivity: invalid problem file '{problemPath}'", problems);
        return ExitCodes.InvalidInput;
    }

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

    private ILoss Loss(ProblemFile problem) => problem.Loss switch
    {
        ProblemLoss.CrossEntropy ce => new CrossEntropyLoss(tensor(ce.Labels.Select(l => (long)l).ToArray(), dtype: ScalarType.Int64, device: runtime.Device)),
        ProblemLoss.Square sq => new SquaredErrorLoss(ProblemTensors.Tensor(sq.Targets, runtime)),
        _ => throw new InvalidOperationException("the loss was checked by RequireLoss"),
    };

    private int Compute(ProblemFile problem, string problemPath, string outPath)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return (ProblemTensors.Create(problem, runtime),
                solvers.Create(problem.Solver, defaults.MaxSteps, reason => HostErrors.ProblemFile("$.solver", reason)))
            .Apply((input, solver) => (input, solver))
            .Match(
                Fail: problems => Invalid(problemPath, problems),
                Succ: setup =>
                {
                    var adjoint = Adjoint(problem);
                    var sensitivityProblem = new SensitivityProblem(setup.input.Field, setup.input.X0, Loss(problem), setup.solver);
                    var clock = Stopwatch.StartNew();
                    var result = Sensitivities.AugmentedGradient(sensitivityProblem, new AugmentedLoss(problem.Epsilon, problem.Q), adjoint);
                    clock.Stop();
                    return result.Match(
                        Succ: gradient => Write(problem, problemPath, outPath, new SensitivityResult(gradient,
                            setup.input.Field.Controls.Select(c => c.Name).ToArray(), adjoint.Name, clock.Elapsed.TotalMilliseconds,
                            Process.GetCurrentProcess().PeakWorkingSet64)),
                        Fail: error =>
                        {
                            console.Error.WriteLine($"robustnode sensitivity: the computation for '{problemPath}' failed: {error.Message}");
                            return ExitCodes.ComputationFailed;
                        });
                });
    }

    private int Write(ProblemFile problem, string problemPath, string outPath, SensitivityResult result)
    {
        try
        {
            AtomicFile.WriteAllBytes(outPath, result.ToJson());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine($"robustnode sensitivity: cannot write '{outPath}': {ex.Message}");
            return ExitCodes.InvalidInput;
        }
        log.LogInformation("Sensitivities of {Problem} ({Field}, d = {Dim}, N = {Steps}, B = {Batch}, {Mode} adjoint, ε = {Epsilon}, q = {Q}): loss {Loss:G6}, augmented {Augmented:G6} in {Milliseconds:F1} ms; wrote {Out}",
            problemPath, problem.Field.Name, problem.Dim, problem.Steps, problem.Batch, result.Mode, problem.Epsilon, problem.Q,
            result.Gradient.FirstOrder.Loss, result.Gradient.AugmentedLoss, result.WallTimeMs, outPath);
        return ExitCodes.Success;
    }
}
