using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Logging;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.Reports;
using RobustNode.Host.Runs;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Evaluation;
using static LanguageExt.Prelude;
using AttackRequest = (LanguageExt.Option<double> Epsilon, LanguageExt.Option<int> Count, bool Pgd);

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode attack --model FILE.ckpt [--experiment NAME] [--epsilon 0.2] [--count 16] [--attack fgsm|pgd] [--out FILE.png]</c>:
/// attacks the first test samples of a saved model's experiment and draws them — for images a grid of clean and
/// adversarial images with the true class and both predictions, for point clouds the arrows from clean to adversarial
/// points over the model's level sets. The PNG is written atomically (default: next to the model, <c>&lt;model&gt;.attack.png</c>).
/// </summary>
public sealed class AttackVerb(ExperimentCatalog experiments, TorchRuntime runtime, EngineCatalog engines, HostConsole console, ILogger<AttackVerb> log)
    : CheckpointVerb<AttackRequest>(Descriptor.Name, experiments, runtime, engines, console), IVerb
{
    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } = Describe("attack", "draw clean and adversarial test samples of a saved model",
        "runs/mnist/models/augmented.ckpt", "the experiment whose data to attack (default: the model's)",
        new VerbOption("epsilon", "EPS", "the attack radius in input units (default: Evaluation:AttackEpsilon)"),
        new VerbOption("count", "N", "how many test samples (default: 16 images, or every test point of a point cloud)"),
        new VerbOption("attack", "fgsm|pgd", "the attack (default: fgsm)"),
        new VerbOption("out", "FILE.png", "the picture (default: <model>.attack.png next to the model)"));

    /// <inheritdoc/>
    protected override Validation<Error, AttackRequest> Request(VerbArguments arguments) =>
        (Number(arguments["epsilon"]), Count(arguments["count"]), Pgd(arguments["attack"])).Apply((e, c, p) => (e, c, p));

    /// <inheritdoc/>
    protected override int Run<T>(IEngine<T> engine, IBlock<T> model, SavedModel saved, AttackRequest request, VerbArguments arguments)
    {
        var (epsilon, count, pgd) = request;
        var modelPath = saved.Path;
        var ev = saved.Experiment.Evaluation;
        double radius = epsilon.IfNone(ev.AttackEpsilon);
        var attack = AttackExamples.Attack(ev, saved.Data.Scale, radius, pgd);
        string name = FormattableString.Invariant($"{(pgd ? "PGD" : "FGSM")} ε = {radius:G4}");
        int n = count.IfNone(saved.Experiment.IsPlanar ? saved.Data.Test.Count : 16);
        var outPath = arguments["out"] ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".attack.png");

        var picture = AttackExamples.Compute(model, saved.Data.Test, attack, saved.Data.Scale, n).Bind(examples =>
            saved.Experiment.IsPlanar
                ? GridSpec.Around(saved.Data.Train, ev.GridMargin, ev.GridResolution)
                    .Bind(g => DecisionGrid.Evaluate(model, g))
                    .Map(grid => (examples, AttackArrowsPlot.Render([examples.Points(saved.Trainer, grid)], name)))
                : FinSucc((examples, ImageGridPlot.Render(examples.Images(), 8,
                    $"{saved.Trainer}: {name}, {Fooled(examples)} of {examples.Labels.Length} misclassified after the attack"))));
        return picture.Match(
            Fail: error => Console.Failed($"the attack on '{modelPath}'", error),
            Succ: drawn =>
            {
                var (result, png) = drawn;
                return Console.Write(outPath, png, () =>
                {
                    log.LogInformation("Attacked {Count} test samples of {Model} with {Attack} on the {Engine} engine: {Fooled} misclassified ({Clean} before the attack); wrote {Out}",
                        result.Labels.Length, modelPath, name, engine.Name, Fooled(result), Enumerable.Range(0, result.Labels.Length).Count(i => result.Labels[i] != result.CleanPredicted[i]), outPath);
                    return ExitCodes.Success;
                });
            });
    }

    private static int Fooled(AttackExamples e) => Enumerable.Range(0, e.Labels.Length).Count(i => e.Labels[i] != e.AdversarialPredicted[i]);

    private static Validation<Error, Option<double>> Number(string? text) =>
        text is null ? Success<Error, Option<double>>(None)
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v > 0
            ? Success<Error, Option<double>>(Some(v))
            : Fail<Error, Option<double>>(HostErrors.CommandLine("--epsilon", $"expected a positive number, got '{text}'"));

    private static Validation<Error, Option<int>> Count(string? text) =>
        text is null ? Success<Error, Option<int>>(None)
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 1
            ? Success<Error, Option<int>>(Some(v))
            : Fail<Error, Option<int>>(HostErrors.CommandLine("--count", $"expected a positive integer, got '{text}'"));

    private static Validation<Error, bool> Pgd(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "fgsm" => Success<Error, bool>(false),
        "pgd" => Success<Error, bool>(true),
        _ => Fail<Error, bool>(HostErrors.CommandLine("--attack", $"expected fgsm or pgd, got '{text}'")),
    };
}
