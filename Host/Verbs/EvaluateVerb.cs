using System.Diagnostics;
using System.Globalization;
using System.Text;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Logging;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.Reports;
using RobustNode.Host.Runs;
using RobustNode.Host.Schemas;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;
using EvaluationRequest = (RobustNode.Host.Runs.AttackSelection Attacks, LanguageExt.Option<System.Collections.Generic.IReadOnlyList<double>> Epsilons);

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode evaluate --model FILE.ckpt [--experiment NAME] [--attack fgsm|pgd|apgd-ce|apgd-dlr|square|all] [--epsilons 0,0.1,0.2] [--out FILE]</c>:
/// a saved model's clean test accuracy, its accuracy under the chosen attacks at every radius, the worst case per sample
/// over them and the sanity checks, as markdown on stdout and, with <c>--out</c>, as JSON (<c>.json</c>) or markdown (any
/// other extension), written atomically.
/// The experiment defaults to the one recorded in the checkpoint; its evaluation settings give the norm, PGD steps and
/// restarts, the input box and, without <c>--epsilons</c>, the radii.
/// </summary>
internal sealed class EvaluateVerb(ExperimentCatalog experiments, TorchRuntime runtime, EngineCatalog engines, HostConsole console, ILogger<EvaluateVerb> log)
    : CheckpointVerb<EvaluationRequest>(Descriptor.Name, experiments, runtime, engines, console), IVerb
{
    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } = Describe("evaluate", "accuracy of a saved model under attacks versus ε, the worst case per sample, sanity checks",
        "runs/moons/models/augmented.ckpt", "the experiment whose data and attack settings to use (default: the model's)",
        new VerbOption("attack", "fgsm|pgd|apgd-ce|apgd-dlr|square|all", "the attacks, one or a comma-separated list (default: all, as far as the experiment enables them)"),
        new VerbOption("epsilons", "0,0.1,0.2", "the radii, in input units (default: Evaluation:Epsilons)"),
        new VerbOption("out", "FILE", "also write the table: JSON for .json, else markdown"));

    /// <inheritdoc/>
    protected override Validation<Error, EvaluationRequest> Request(VerbArguments arguments) =>
        (Attacks(arguments["attack"]), Epsilons(arguments["epsilons"])).Apply((a, e) => (a, e));

    /// <inheritdoc/>
    protected override int Run<T>(IEngine<T> engine, IBlock<T> model, SavedModel saved, EvaluationRequest request, VerbArguments arguments)
    {
        var ev = saved.Experiment.Evaluation;
        int classes = saved.Data.Train.Classes;
        var disabled = Disabled(ev, request.Attacks);
        if (arguments["attack"] is not null && disabled.Count > 0)
            return Console.Invalid("invalid command line",
                Seq1(HostErrors.CommandLine("--attack", $"the experiment '{saved.Experiment.Name}' disables {string.Join(" and ", disabled)}; enable it there or leave it out")));
        var families = ModelEvaluation.Families(ev, saved.Data.Scale, request.Attacks, classes);
        var epsilons = request.Epsilons.IfNone(() => ev.Epsilons);
        var attacks = ModelEvaluation.Describe(ev, request.Attacks, classes);
        var clock = Stopwatch.StartNew();
        return ModelEvaluation.Evaluate(model, saved.Data.Test, families, epsilons, saved.Data.Scale, ev, ev.Certify ? ev.Norm : null).Match(
            Fail: error => Console.Failed($"the evaluation of '{saved.Path}'", error),
            Succ: result =>
            {
                var table = AccuracyTable.Markdown([(saved.Trainer, result)]) + "\n" +
                    ReportMarkdown.Evaluation(ev.Norm.ToString(), saved.Data.Test.Count, attacks, [(saved.Trainer, result)]);
                int Show()
                {
                    Console.Out.Write(table);
                    log.LogInformation("Evaluated {Model} in experiment {Experiment} on {Count} test samples with the {Engine} engine in {Seconds:F1} s{Out}",
                        saved.Path, saved.Experiment.Name, saved.Data.Test.Count, engine.Name, clock.Elapsed.TotalSeconds, arguments["out"] is { } o ? $"; wrote {o}" : "");
                    return ExitCodes.Success;
                }
                // The table reaches stdout only after the file asked for is written, so a failed write shows no result.
                if (arguments["out"] is not { } outPath) return Show();
                var content = outPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                    ? Json(saved, engine.Name, result, epsilons, attacks)
                    : Encoding.UTF8.GetBytes(Markdown(saved, engine.Name, table));
                return Console.Write(outPath, content, Show);
            });
    }

    private static string Markdown(SavedModel saved, string engine, string table) =>
        $"# `{saved.Path}` in experiment `{saved.Experiment.Name}`\n\nTest set: {saved.Data.Test.Count} samples, `{saved.Data.Test.Name}`; " +
        $"{(saved.Experiment.Evaluation.Norm.ToString() == "inf" ? "ℓ∞" : "ℓ" + saved.Experiment.Evaluation.Norm)} attacks; {engine} engine.\n\n{table}";

    private static byte[] Json(SavedModel saved, string engine, ModelScores scores, IReadOnlyList<double> epsilons, IReadOnlyList<AttackDescription> attacks) =>
        JsonFiles.Write(new EvaluationFile(saved.Path, saved.Experiment.Name, engine, saved.Data.Test.Name, saved.Data.Test.Count,
            saved.Experiment.Evaluation.Norm.ToString(), epsilons, scores.CleanAccuracy, ReportJson.Curves(scores.Curves),
            scores.Bound is { } bound ? LipschitzJson.From(bound) : null, ReportJson.Attacks(attacks, saved.Data.Test.Count), ReportJson.Sanity(scores.Sanity)), JsonFiles.Default.EvaluationFile);

    /// <summary>The attacks of <c>--attack</c>'s names.</summary>
    internal static IReadOnlyDictionary<string, AttackSelection> AttackNames { get; } = new Dictionary<string, AttackSelection>(StringComparer.OrdinalIgnoreCase)
    {
        ["fgsm"] = AttackSelection.Fgsm, ["pgd"] = AttackSelection.Pgd, ["apgd-ce"] = AttackSelection.ApgdCe,
        ["apgd-dlr"] = AttackSelection.ApgdDlr, ["square"] = AttackSelection.Square, ["both"] = AttackSelection.Both, ["all"] = AttackSelection.All,
    };

    /// <summary>One name or a comma-separated list of fgsm, pgd, apgd-ce, apgd-dlr, square, both (fgsm and pgd) and all; all by default.</summary>
    private static Validation<Error, AttackSelection> Attacks(string? text)
    {
        if (text is null) return Success<Error, AttackSelection>(AttackSelection.All);
        var selection = (AttackSelection)0;
        var errors = new List<Error>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
            if (AttackNames.TryGetValue(part, out var one)) selection |= one;
            else errors.Add(HostErrors.CommandLine("--attack", $"expected fgsm, pgd, apgd-ce, apgd-dlr, square, all or a comma-separated list of them, got '{part}'"));
        return errors.Count > 0 ? Fail<Error, AttackSelection>(Seq(errors)) : Success<Error, AttackSelection>(selection);
    }

    /// <summary>The attacks asked for that the experiment switches off, with their keys.</summary>
    internal static IReadOnlyList<string> Disabled(EvaluationSettings ev, AttackSelection selection)
    {
        var off = new List<string>();
        // "all" and "both" ask for what the experiment enables; a named attack must be enabled.
        if (selection == AttackSelection.All || selection == AttackSelection.Both) return off;
        if (selection.HasFlag(AttackSelection.Fgsm) && !ev.Fgsm) off.Add("fgsm (Evaluation:Fgsm)");
        if (selection.HasFlag(AttackSelection.Pgd) && ev.Pgd is null) off.Add("pgd (Evaluation:Pgd:Enabled)");
        if (selection.HasFlag(AttackSelection.ApgdCe) && ev.Apgd is null) off.Add("apgd-ce (Evaluation:Apgd:Enabled)");
        if (selection.HasFlag(AttackSelection.ApgdDlr) && ev.ApgdDlr is null) off.Add("apgd-dlr (Evaluation:ApgdDlr:Enabled)");
        if (selection.HasFlag(AttackSelection.Square) && ev.Square is null) off.Add("square (Evaluation:Square:Enabled)");
        return off;
    }

    /// <summary>Radii from "0,0.1,0.2": finite, non-negative numbers.</summary>
    internal static Validation<Error, Option<IReadOnlyList<double>>> Epsilons(string? text)
    {
        if (text is null) return Success<Error, Option<IReadOnlyList<double>>>(None);
        var values = new List<double>();
        var errors = new List<Error>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v >= 0) values.Add(v);
            else errors.Add(HostErrors.CommandLine("--epsilons", $"'{part}' is not a non-negative number (write the radii as 0,0.1,0.2)"));
        }
        return errors.Count > 0 ? Fail<Error, Option<IReadOnlyList<double>>>(Seq(errors)) : Success<Error, Option<IReadOnlyList<double>>>(Some<IReadOnlyList<double>>(values));
    }
}
