using System.Diagnostics;
using System.Globalization;
using System.Text;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Logging;
using RobustNode.Core.Engines;
using RobustNode.Core.Norms;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.Reports;
using RobustNode.Host.Runs;
using RobustNode.Host.Schemas;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Evaluation;
using static LanguageExt.Prelude;
using CertificationRequest = (LanguageExt.Option<RobustNode.Core.Norms.AttackNorm> Norm, LanguageExt.Option<System.Collections.Generic.IReadOnlyList<double>> Epsilons);

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode certify --model FILE.ckpt [--experiment NAME] [--norm 2|inf|1] [--epsilons 0,0.5,1] [--out FILE.json|FILE.md]</c>:
/// the certified radius of every test sample of a saved model, from the model's ℓ2 Lipschitz bound (the product of its
/// blocks' bounds, <see cref="LipschitzBounds"/>) and its logit margins — r₂ = min_{j≠y} (z_y − z_j)/(L_body ‖w_y − w_j‖₂) through an affine read-out, margin / (√2 L) otherwise, and in the max-norm
/// r∞ = r₂ / √n through ‖δ‖₂ ≤ √n‖δ‖∞ (<see cref="Certification"/>) — and the certified accuracy versus ε. Prints the bound,
/// its factors, the step rules of gradient-flow blocks and the curve; <c>--out</c> also writes every sample's radius,
/// as JSON (<c>.json</c>) or markdown. Radii are in input units. The norm defaults to the experiment's
/// <c>Evaluation:Norm</c>, the radii to <c>Evaluation:Epsilons</c>.
/// </summary>
internal sealed class CertifyVerb(ExperimentCatalog experiments, TorchRuntime runtime, EngineCatalog engines, HostConsole console, ILogger<CertifyVerb> log)
    : CheckpointVerb<CertificationRequest>(Descriptor.Name, experiments, runtime, engines, console), IVerb
{
    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } = Describe("certify", "certified radii and certified accuracy versus ε from a saved model's Lipschitz bound",
        "runs/moons-nonexpansive/models/standard.ckpt", "the experiment whose test data to use (default: the model's)",
        new VerbOption("norm", "2|inf|1", "the norm of the radii (default: Evaluation:Norm)"),
        new VerbOption("epsilons", "0,0.5,1", "the radii of the curve, in input units (default: Evaluation:Epsilons)"),
        new VerbOption("out", "FILE", "also write every sample's radius and the curve: JSON for .json, else markdown"));

    /// <inheritdoc/>
    protected override Validation<Error, CertificationRequest> Request(VerbArguments arguments) =>
        (Norm(arguments["norm"]), EvaluateVerb.Epsilons(arguments["epsilons"])).Apply((n, e) => (n, e));

    // No --norm: None (the experiment's Evaluation:Norm); LanguageExt refuses null as a success value.
    private static Validation<Error, Option<AttackNorm>> Norm(string? text) =>
        text is null ? Success<Error, Option<AttackNorm>>(None)
        : AttackNorm.Parse(text) is { } norm ? Success<Error, Option<AttackNorm>>(Some(norm))
        : Fail<Error, Option<AttackNorm>>(HostErrors.CommandLine("--norm", $"expected 2, inf or 1, got '{text}'"));

    /// <inheritdoc/>
    protected override int Run<T>(IEngine<T> engine, IBlock<T> model, SavedModel saved, CertificationRequest request, VerbArguments arguments)
    {
        var ev = saved.Experiment.Evaluation;
        var norm = request.Norm.IfNone(ev.Norm);
        var epsilons = request.Epsilons.IfNone(() => ev.Epsilons);
        var scale = saved.Data.Scale;
        var clock = Stopwatch.StartNew();
        return Certification.Certify(model, saved.Data.Test, norm).Match(
            Fail: error => Console.Failed($"certifying '{saved.Path}'", error),
            Succ: result =>
            {
                var rules = StepConstraints.Check(model).Match(Succ: c => c, Fail: _ => []);
                var curve = result.Curve(epsilons.Select(scale.Radius).ToArray());
                var points = curve.Points.Select((p, i) => new RobustnessPoint(epsilons[i], p.Accuracy)).ToArray();
                double clean = result.Samples.Count(s => s.Correct) / (double)Math.Max(1, result.Samples.Count);
                var summary = Summary(saved, engine.Name, result, rules, points, clean);
                int Show()
                {
                    Console.Out.Write(summary);
                    log.LogInformation("Certified {Model} in experiment {Experiment} on {Count} test samples ({Norm}) in {Seconds:F1} s{Out}",
                        saved.Path, saved.Experiment.Name, saved.Data.Test.Count, norm, clock.Elapsed.TotalSeconds, arguments["out"] is { } o ? $"; wrote {o}" : "");
                    return ExitCodes.Success;
                }
                if (arguments["out"] is not { } outPath) return Show();
                var content = outPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                    ? Json(saved, engine.Name, result, curve.Attack, points, clean, scale)
                    : Encoding.UTF8.GetBytes(summary + Samples(result, scale));
                return Console.Write(outPath, content, Show);
            });
    }

    private static string Summary(SavedModel saved, string engine, CertificationResult result, IReadOnlyList<Core.Fields.StepRuleCheck> rules,
        IReadOnlyList<RobustnessPoint> points, double clean)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"# Certified radii of `{saved.Path}` in experiment `{saved.Experiment.Name}`");
        text.AppendLine();
        text.AppendLine(inv, $"Test set: {saved.Data.Test.Count} samples, `{saved.Data.Test.Name}`; {engine} engine.");
        text.AppendLine();
        text.AppendLine(inv, $"ℓ2 Lipschitz bound of the logits: L = {result.Bound.Value:G6} = {string.Join(" × ", result.Bound.Factors.Select(f => $"{f.Bound:G6}"))}");
        text.AppendLine();
        text.AppendLine("| block | bound | how |");
        text.AppendLine("|---|---:|---|");
        foreach (var f in result.Bound.Factors) text.AppendLine(inv, $"| {f.Block} | {f.Bound:G6} | {f.Reason} |");
        text.AppendLine();
        if (rules.Count > 0)
        {
            int held = rules.Count(r => r.Holds);
            text.AppendLine(inv, $"Step rules of the gradient-flow layers (h·sup σ'·‖A‖₂² ≤ c): {held} of {rules.Count} layers keep them; largest h·L/c = {rules.Max(r => r.Value / r.Budget):F6}.");
            text.AppendLine();
        }
        text.Append("Certified radius r₂ = min_{j≠y} (z_y − z_j) / (L_body · ‖w_y − w_j‖₂) through an affine read-out W (Leino et al. 2021), otherwise margin / (√2 · L) (Tsuzuku et al. 2018)");
        text.Append(result.Norm.ToString() switch
        {
            "inf" => $"; in the max-norm r∞ = r₂ / √n with n = {result.InputEntries}, since ‖δ‖₂ ≤ √n ‖δ‖∞",
            "1" => "; in the 1-norm r₁ = r₂, since ‖δ‖₂ ≤ ‖δ‖₁",
            _ => "",
        });
        text.AppendLine(". A sample is certified at ε when it is classified correctly and its radius exceeds ε.");
        text.AppendLine();
        text.Append("| | clean |");
        foreach (var p in points) text.Append(inv, $" ε = {p.Epsilon:G4} |");
        text.AppendLine();
        text.Append("|---|---:|");
        foreach (var _ in points) text.Append("---:|");
        text.AppendLine();
        text.Append(inv, $"| {Certification.CurveName(result.Norm)} | {AccuracyTable.Percent(clean)} |");
        foreach (var p in points) text.Append(' ').Append(AccuracyTable.Percent(p.Accuracy)).Append(" |");
        text.AppendLine();
        return text.ToString();
    }

    private static string Samples(CertificationResult result, InputScale scale)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("## Every test sample");
        text.AppendLine();
        text.AppendLine("| sample | label | prediction | margin | radius |");
        text.AppendLine("|---:|---:|---:|---:|---:|");
        for (int i = 0; i < result.Samples.Count; i++)
        {
            var s = result.Samples[i];
            text.AppendLine(inv, $"| {i} | {s.Label} | {s.Prediction} | {s.Margin:G6} | {(s.Correct ? (s.Radius * scale.Std).ToString("G6", inv) : "–")} |");
        }
        return text.ToString();
    }

    private static byte[] Json(SavedModel saved, string engine, CertificationResult result, string curveName, IReadOnlyList<RobustnessPoint> points, double clean, InputScale scale) =>
        JsonFiles.Write(new CertificationFile(saved.Path, saved.Experiment.Name, engine, saved.Data.Test.Name, saved.Data.Test.Count, result.Norm.ToString(),
            result.InputEntries, LipschitzJson.From(result.Bound), clean,
            new CurveJson(curveName, points.Select(p => new CurvePointJson(p.Epsilon, p.Accuracy)).ToArray()),
            result.Samples.Select(s => new CertifiedSampleJson(s.Label, s.Prediction, s.Margin, s.Radius * scale.Std)).ToArray()), JsonFiles.Default.CertificationFile);
}
