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
using AttackRequest = (LanguageExt.Option<double> Epsilon, LanguageExt.Option<int> Count, RobustNode.Host.Runs.AttackSelection Attack);

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode attack --model FILE.ckpt [--experiment NAME] [--epsilon 0.2] [--count 16] [--attack fgsm|pgd|apgd-ce|apgd-dlr|square|all] [--out FILE.png]</c>:
/// attacks the first test samples of a saved model's experiment (with <c>all</c>: every attack the experiment enables,
/// keeping per sample the first example that fools the model) and draws them — for images a grid of clean and
/// adversarial images with the true class and both predictions, for point clouds the arrows from clean to adversarial
/// points over the model's level sets. The PNG is written atomically (default: next to the model, <c>&lt;model&gt;.attack.png</c>).
/// </summary>
internal sealed class AttackVerb(ExperimentCatalog experiments, TorchRuntime runtime, EngineCatalog engines, HostConsole console, ILogger<AttackVerb> log)
    : CheckpointVerb<AttackRequest>(Descriptor.Name, experiments, runtime, engines, console), IVerb
{
    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } = Describe("attack", "draw clean and adversarial test samples of a saved model",
        "runs/mnist/models/augmented.ckpt", "the experiment whose data to attack (default: the model's)",
        new VerbOption("epsilon", "EPS", "the attack radius in input units (default: Evaluation:AttackEpsilon)").CheckedBy(Number),
        new VerbOption("count", "N", "how many test samples (default: 16 images, or every test point of a point cloud)").CheckedBy(Count),
        new VerbOption("attack", "fgsm|pgd|apgd-ce|apgd-dlr|square|all", "the attack, or all for the worst case per sample over the experiment's attacks (default: fgsm)").CheckedBy(Attack),
        new VerbOption("out", "FILE.png", "the picture (default: <model>.attack.png next to the model)"));

    /// <inheritdoc/>
    protected override Validation<Error, AttackRequest> Request(VerbArguments arguments) =>
        (Number(arguments["epsilon"]), Count(arguments["count"]), Attack(arguments["attack"])).Apply((e, c, a) => (e, c, a));

    /// <inheritdoc/>
    protected override int Run<T>(IEngine<T> engine, IBlock<T> model, SavedModel saved, AttackRequest request, VerbArguments arguments)
    {
        var (epsilon, count, selection) = request;
        var modelPath = saved.Path;
        var ev = saved.Experiment.Evaluation;
        double radius = epsilon.IfNone(ev.AttackEpsilon);
        if ((selection & (AttackSelection.ApgdCe | AttackSelection.ApgdDlr | AttackSelection.Square)) != 0 && selection != AttackSelection.All && ev.Norm.Q == 1)
            return Console.Invalid("invalid command line", Seq1(HostErrors.CommandLine("--attack", $"{arguments["attack"]} searches ℓ∞ or ℓ2 balls, and the experiment's Evaluation:Norm is 1")));
        var attack = AttackExamples.Attacks(ev, saved.Data.Scale, radius, selection, saved.Data.Train.Classes);
        string name = FormattableString.Invariant($"{AttackName(selection, saved.Data.Train.Classes)} ε = {radius:G4}");
        int n = count.IfNone(saved.Experiment.IsPlanar ? saved.Data.Test.Count : 16);
        var outPath = arguments["out"] ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".attack.png");

        var picture = AttackExamples.Compute(model, saved.Data.Test, attack, saved.Data.Scale, n).Bind(examples =>
            saved.Experiment.IsPlanar
                ? GridSpec.Around(saved.Data.Train, ev.GridMargin, ev.GridResolution)
                    .Bind(g => DecisionGrid.Evaluate(model, g))
                    .Map(grid => (examples, AttackArrowsPlot.Render([examples.Points(saved.Trainer, grid)], name)))
                : FinSucc((examples, ImageGridPlot.Render(examples.AsImages(saved.Data).Images(), 8,
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

    private static Validation<Error, AttackSelection> Attack(string? text) =>
        text is null ? Success<Error, AttackSelection>(AttackSelection.Fgsm)
        : EvaluateVerb.AttackNames.TryGetValue(text.Trim(), out var selection) && selection != AttackSelection.Both
            ? Success<Error, AttackSelection>(selection)
            : Fail<Error, AttackSelection>(HostErrors.CommandLine("--attack", $"expected fgsm, pgd, apgd-ce, apgd-dlr, square or all, got '{text}'"));

    private static string AttackName(AttackSelection selection, int classes) => selection switch
    {
        AttackSelection.Pgd => "PGD",
        AttackSelection.ApgdCe => "APGD-CE",
        AttackSelection.ApgdDlr => classes >= 4 ? "APGD-DLR" : "APGD-margin",
        AttackSelection.Square => "Square",
        AttackSelection.All => "worst case of all attacks,",
        _ => "FGSM",
    };
}
